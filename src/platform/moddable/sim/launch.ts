// The simulator's launch settings. One simulator build serves every run: the host tools
// (`npm run sim`, the simulator suite; host/moddable/simulator.ts) write the run's device id, broker,
// TLS, CA, login, client certificate, flight scenario and seed, and the name of a recorded flight's
// file, into the preference domain "launch" before mcsim starts (a JSON file in mcsim's working
// directory: boards/sim/manifest.json sets the file root to "./"). A setting that is not there keeps
// the build's value; one of the wrong type stops the start with its name.
import Preference from "preference";
import type { LaunchSettings } from "platform/moddable/board-config";

const DOMAIN = "launch";

function launchValue<T extends string | number | boolean>(key: keyof LaunchSettings, built: T): T;
function launchValue<T extends string | number | boolean>(key: keyof LaunchSettings, built: T | undefined): T | undefined;
function launchValue<T extends string | number | boolean>(key: keyof LaunchSettings, built: T | undefined): T | undefined {
  const value = Preference.get(DOMAIN, key);
  if (value === undefined) return built;
  const expected = built === undefined ? "string" : typeof built;
  if (typeof value !== expected) throw new TypeError(`launch setting ${key} must be a ${expected}, not ${JSON.stringify(value)}`);
  return value as T;
}

export function launchSettings(built: LaunchSettings): LaunchSettings {
  return {
    deviceId: launchValue("deviceId", built.deviceId),
    brokerHost: launchValue("brokerHost", built.brokerHost),
    brokerPort: launchValue("brokerPort", built.brokerPort),
    brokerTls: launchValue("brokerTls", built.brokerTls),
    brokerCa: launchValue("brokerCa", built.brokerCa),
    brokerUsername: launchValue("brokerUsername", built.brokerUsername),
    brokerPassword: launchValue("brokerPassword", built.brokerPassword),
    brokerClientCert: launchValue("brokerClientCert", built.brokerClientCert),
    brokerClientKey: launchValue("brokerClientKey", built.brokerClientKey),
    flightScenario: launchValue("flightScenario", built.flightScenario),
    flightSeed: launchValue("flightSeed", built.flightSeed),
    flightFile: launchValue("flightFile", built.flightFile),
  };
}
