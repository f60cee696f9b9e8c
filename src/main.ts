// Firmware entry point: builds the node from the Moddable adapters and the board's config.
import config from "mc/config";
import { MqttClient } from "./mqtt/client";
import { moddableClock } from "./platform/moddable/clock";
import { moddableSocketFactory } from "./platform/moddable/socket";

const deviceId: string = config.deviceId;
trace(`altimeter ${deviceId} starting on ${config.board}\n`);

const statusTopic = `${deviceId}/status`;
const client = new MqttClient(
  {
    host: config.brokerHost,
    port: Number(config.brokerPort),
    clientId: deviceId,
    keepaliveS: 30,
    will: { topic: statusTopic, payload: new Uint8Array([0x6f, 0x66, 0x66, 0x6c, 0x69, 0x6e, 0x65]), qos: 1, retain: true },
  },
  { socket: moddableSocketFactory, clock: moddableClock },
);
client.on("connect", () => {
  trace(`mqtt connected to ${config.brokerHost}:${config.brokerPort}\n`);
  client.publish(statusTopic, "online", 1, true);
});
client.on("disconnect", (error) => trace(`mqtt disconnected${error ? `: ${error.message}` : ""}\n`));
client.on("error", (error) => trace(`mqtt error: ${error.message}\n`));
client.connect();
