// Firmware entry point: builds the sensor node from the Moddable adapters and the board's config
// (boards/<board>/manifest.json, overridable on the mcconfig command line: key=value).
import config from "mc/config";
import { createBarometerOpener } from "board/barometer";
import { createNetworkLink, wrapSockets } from "board/network";
import { createStatusDisplay } from "board/status-display";
import { moddableSystem } from "board/system";
import { createUpdater } from "board/ota";
import { SensorNode } from "./app/node";
import { DEFAULT_CONFIG } from "./app/config";
import { moddableClock } from "./platform/moddable/clock";
import { preferenceStore } from "./platform/moddable/preference-store";
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
};

const store = preferenceStore("altimeter");
const network = createNetworkLink(boardConfig);
const system = moddableSystem(config.firmwareVersion, board, "power-on");
const updater = createUpdater(boardConfig, {
  board,
  currentVersion: config.firmwareVersion,
  clock: moddableClock,
  store,
  reboot: () => {
    node.saveState(); // called long after `node` exists: keep the outbox across the reboot
    system.reboot();
  },
  log,
});

const node = new SensorNode({
  // brokerTls: true (or 1) for mqtts; brokerCa: the CA that signed the broker's certificate as base64
  // DER on one line (it fits on the mcconfig command line); without it the SDK's built-in CAs apply.
  broker: {
    host: config.brokerHost,
    port: Number(config.brokerPort),
    tls: [true, 1, "true", "1"].includes(config.brokerTls) ? (config.brokerCa ? { ca: `-----BEGIN CERTIFICATE-----\n${config.brokerCa}\n-----END CERTIFICATE-----` } : {}) : undefined,
  },
  clock: moddableClock,
  socket: wrapSockets(moddableSocketFactory),
  store,
  openBarometer: createBarometerOpener(boardConfig, moddableClock),
  network,
  system,
  ota: updater,
  defaults: { ...DEFAULT_CONFIG, deviceId: config.deviceId },
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
const display = createStatusDisplay(boardConfig, { id: node.config.deviceId, firmwareVersion: config.firmwareVersion, broker: `${config.brokerHost}:${config.brokerPort}` });
node.start();
