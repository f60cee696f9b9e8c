import config from "mc/config";
trace(`altimeter ${config.deviceId} starting on ${config.board}\n`);
