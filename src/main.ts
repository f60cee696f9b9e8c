// Firmware entry point: builds the sensor node from the Moddable adapters and the board's config
// (boards/<board>/manifest.json, overridable on the mcconfig command line: key=value; the simulator
// also takes the run's broker and device id at launch: board/launch).
import config from "mc/config";
import { createBarometerOpener } from "board/barometer";
import { launchSettings } from "board/launch";
import { createNetworkLink, wrapSockets } from "board/network";
import { createStatusDisplay } from "board/status-display";
import { moddableSystem } from "board/system";
import { createUpdater } from "board/ota";
import { openOutboxFlash } from "board/outbox-flash";
import { SensorNode } from "./app/node";
import { DEFAULT_CONFIG } from "./app/config";
import { moddableClock } from "./platform/moddable/clock";
import { preferenceStore } from "./platform/moddable/preference-store";
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

const store = preferenceStore("altimeter");
const network = createNetworkLink(boardConfig);
const system = moddableSystem(config.firmwareVersion, board, "power-on");
const updater = createUpdater(boardConfig, {
  board,
  currentVersion: config.firmwareVersion,
  clock: moddableClock,
  store,
  reboot: () => system.reboot(), // the outbox is on flash already: nothing to save
  log,
});

const node = new SensorNode({
  // Login and TLS from the build config (NVS for the login): see broker-login.ts. Never logged.
  broker: {
    host: settings.brokerHost,
    port: settings.brokerPort,
    tls: brokerTls(brokerConfig),
    ...brokerLogin(brokerConfig, (domain, key) => Preference.get(domain, key)),
  },
  clock: moddableClock,
  socket: wrapSockets(moddableSocketFactory),
  store,
  outboxFlash: openOutboxFlash(),
  openBarometer: createBarometerOpener(boardConfig, moddableClock),
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
