// Firmware entry point: builds the sensor node from the Moddable adapters and the board's config
// (boards/<board>/manifest.json, overridable on the mcconfig command line: key=value; the simulator
// also takes the run's broker and device id at launch: board/launch).
import config from "mc/config";
import { createBarometerOpener } from "board/barometer";
import { launchSettings } from "board/launch";
import { createNetworkLink, wrapSockets } from "board/network";
import { createStatusDisplay } from "board/status-display";
import { openOutboxFlash } from "board/outbox-flash";
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
import { brokerLogin, brokerTls, type BrokerBuildConfig } from "./platform/moddable/broker-login";
import Preference from "preference";
import type { BoardConfig } from "./platform/moddable/board-config";

const board: string = config.board;
const log = (line: string) => trace(`${line}\n`);
const settings = launchSettings({
  deviceId: config.deviceId,
  brokerHost: config.brokerHost,
  brokerPort: Number(config.brokerPort),
  brokerTls: [true, 1, "true", "1"].includes(config.brokerTls),
  brokerCa: config.brokerCa ?? "",
  brokerUsername: config.brokerUsername ?? "",
  brokerPassword: config.brokerPassword ?? "",
  brokerClientCert: config.brokerClientCert ?? "",
  brokerClientKey: config.brokerClientKey ?? "",
  flightScenario: config.flightScenario,
  flightSeed: config.flightSeed === undefined ? undefined : Number(config.flightSeed),
  flightFile: config.flightFile,
});
log(`altimeter ${settings.deviceId} ${config.firmwareVersion} starting on ${board}`);

const boardConfig: BoardConfig = {
  i2cSda: config.i2cSda,
  i2cScl: config.i2cScl,
  i2cHz: config.i2cHz,
  sensorChip: config.sensorChip,
  flightScenario: settings.flightScenario,
  flightSeed: settings.flightSeed,
  flightFile: settings.flightFile,
  wifiSsid: config.wifiSsid,
  wifiPassword: config.wifiPassword,
  otaPublicKey: config.otaPublicKey,
  otaPartitionBytes: config.otaPartitionBytes,
  otaSelfTestS: config.otaSelfTestS,
};

const brokerConfig: BrokerBuildConfig = {
  deviceId: settings.deviceId,
  brokerUsername: settings.brokerUsername,
  brokerPassword: settings.brokerPassword,
  brokerTls: settings.brokerTls,
  brokerCa: settings.brokerCa,
  brokerClientCert: settings.brokerClientCert,
  brokerClientKey: settings.brokerClientKey,
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
  reboot: () => system.reboot(), // the outbox is on flash already: nothing to save
  log,
  verifySignature: nativeP256Verify,
});

const node = new SensorNode({
  // Login and TLS from the build config (NVS for the login): see broker-login.ts. Never logged.
  broker: {
    host: settings.brokerHost,
    port: settings.brokerPort,
    tls: brokerTls(brokerConfig),
    ...brokerLogin(brokerConfig, (domain, key) => Preference.get(domain, key)),
    // A device of ~300 KB RAM takes no MQTT packet over 8 KB (mqttMaxPacketBytes) and lets no more
    // than 16 KB wait for a slow link (mqttMaxPendingWriteBytes): both in the build config.
    maxPacketBytes: Number(config.mqttMaxPacketBytes),
    maxPendingWriteBytes: Number(config.mqttMaxPendingWriteBytes),
  },
  clock,
  networkClock: moddableClock,
  socket: wrapSockets(moddableSocketFactory),
  store,
  outboxFlash: openOutboxFlash(),
  openBarometer: createBarometerOpener(boardConfig, clock),
  network,
  system,
  ota: updater,
  defaults: { ...DEFAULT_CONFIG, deviceId: settings.deviceId },
  log,
  onReading: (reading) => {
    log(`reading ${reading.quality} alt=${reading.altitudeM === reading.altitudeM ? reading.altitudeM.toFixed(1) : "-"} m vs=${reading.verticalSpeedMps === reading.verticalSpeedMps ? reading.verticalSpeedMps.toFixed(2) : "-"} m/s outbox=${node.outbox.size}`);
    display?.show({
      reading,
      emergencies: node.activeEmergencies,
      link: node.client.connected ? "connected" : network.up ? "connecting" : "network down",
      outbox: node.outbox.size,
      dropped: node.outbox.dropped,
    });
  },
});
// A board with a screen shows what the node thinks (the simulator does; the ESP32 dev board has none).
const display = createStatusDisplay(boardConfig, { id: node.config.deviceId, firmwareVersion: config.firmwareVersion, broker: `${settings.brokerHost}:${settings.brokerPort}` });
node.start();
// memoryTraceS: trace the XS memory figures every so many (simulated) seconds (0: never).
if (Number(config.memoryTraceS) > 0) startMemoryTrace(clock, Number(config.memoryTraceS) * 1000, () => node.outbox.size, log);
