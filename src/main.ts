// Firmware entry point: builds the sensor node from the Moddable adapters and the board's config
// (boards/<board>/manifest.json, overridable on the mcconfig command line: key=value).
import config from "mc/config";
import { createBarometerOpener } from "board/barometer";
import { createNetworkLink } from "board/network";
import { deviceSystem } from "./platform/moddable/device-system";
import { createUpdater } from "./platform/moddable/firmware-update";
import { nativeP256Verify } from "./platform/moddable/ecdsa-signature";
import { SensorNode } from "./app/node";
import { DEFAULT_CONFIG } from "./app/config";
import { moddableClock, scaledClock, trustSystemDate } from "./platform/moddable/clock";
import { startMemoryTrace } from "./platform/moddable/memory-trace";
import { startTimeSync } from "./platform/moddable/sntp-time";
import { createStore } from "board/store";
import { moddableSocketFactory } from "./platform/moddable/socket";
import type { BoardConfig } from "./platform/moddable/board-config";

const board: string = config.board;
const log = (line: string) => trace(`${line}\n`);
log(`altimeter ${config.deviceId} ${config.firmwareVersion} starting on ${board}`);

const boardConfig: BoardConfig = {
  i2cSda: config.i2cSda,
  i2cScl: config.i2cScl,
  i2cHz: config.i2cHz,
  sensorChip: config.sensorChip,
  flightScenario: config.flightScenario,
  wifiSsid: config.wifiSsid,
  wifiPassword: config.wifiPassword,
  otaPublicKey: config.otaPublicKey,
  otaPartitionBytes: config.otaPartitionBytes,
  otaSelfTestS: config.otaSelfTestS,
};

// The date: from SNTP (sntpServers, comma-separated, in the build config), or, on a board whose
// system clock is the computer's (dateFromSystem: the desktop simulator), from the system.
const sntpServers = String(config.sntpServers ?? "").split(",").map((server) => server.trim()).filter((server) => server !== "");
const timeSync = sntpServers.length > 0 ? startTimeSync(sntpServers, log) : undefined;
if (!timeSync && [true, 1, "true", "1"].includes(config.dateFromSystem)) trustSystemDate();
const network = createNetworkLink(boardConfig);
if (timeSync) {
  network.onChange((up) => up && timeSync.sync());
  if (network.up) timeSync.sync();
}

// simSpeed (the desktop simulator only): the flight and the sampling run that many times faster;
// the network keeps real time.
const speed = Number(config.simSpeed ?? 1);
const clock = speed === 1 ? moddableClock : scaledClock(moddableClock, speed);

const store = createStore();
const system = deviceSystem(config.firmwareVersion, board);
log(`reset reason: ${system.resetReason}`);
const updater = createUpdater(boardConfig, {
  board,
  currentVersion: config.firmwareVersion,
  clock,
  store,
  reboot: () => {
    node.saveState(); // called long after `node` exists: keep the outbox across the reboot
    system.reboot();
  },
  log,
  verifySignature: nativeP256Verify,
});

const node = new SensorNode({
  // brokerTls: true (or 1) for mqtts; brokerCa: the CA that signed the broker's certificate as base64
  // DER on one line (it fits on the mcconfig command line); without it the SDK's built-in CAs apply.
  broker: {
    host: config.brokerHost,
    port: Number(config.brokerPort),
    tls: [true, 1, "true", "1"].includes(config.brokerTls) ? (config.brokerCa ? { ca: `-----BEGIN CERTIFICATE-----\n${config.brokerCa}\n-----END CERTIFICATE-----` } : {}) : undefined,
    // A device of ~300 KB RAM takes no MQTT packet over 8 KB (mqttMaxPacketBytes) and lets no more
    // than 16 KB wait for a slow link (mqttMaxPendingWriteBytes): both in the build config.
    maxPacketBytes: Number(config.mqttMaxPacketBytes),
    maxPendingWriteBytes: Number(config.mqttMaxPendingWriteBytes),
  },
  clock,
  networkClock: moddableClock,
  socket: moddableSocketFactory,
  store,
  openBarometer: createBarometerOpener(boardConfig, clock),
  network,
  system,
  ota: updater,
  defaults: { ...DEFAULT_CONFIG, deviceId: config.deviceId },
  log,
  onReading: (reading) =>
    log(`reading ${reading.quality} alt=${reading.altitudeM === reading.altitudeM ? reading.altitudeM.toFixed(1) : "-"} m vs=${reading.verticalSpeedMps === reading.verticalSpeedMps ? reading.verticalSpeedMps.toFixed(2) : "-"} m/s`),
});
node.start();
// memoryTraceS: trace the XS memory figures every so many (simulated) seconds (0: never).
if (Number(config.memoryTraceS) > 0) startMemoryTrace(clock, Number(config.memoryTraceS) * 1000, () => node.outbox.size, log);
