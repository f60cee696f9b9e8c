// The device's login at the broker and its TLS settings, from the build config (boards/*/manifest.json
// or mcconfig key=value) or, for the login, from NVS. NVS lets one firmware build serve a fleet: each
// device gets its own NVS image (ESP-IDF's nvs_partition_gen.py: namespace "broker", string keys
// "username" and "password"). The build config wins when it has a password.
//
// Nothing here is ever logged or published: the node's `info` and replies carry no credentials.
import type { TlsOptions } from "../../ports";

export interface BrokerBuildConfig {
  deviceId: string;
  brokerUsername?: string;
  brokerPassword?: string;
  /** true (or 1) for MQTT over TLS. */
  brokerTls?: unknown;
  /** The CA that signed the broker's certificate: base64 DER on one line (it fits a command line). */
  brokerCa?: string;
  /** A client certificate for mutual TLS (base64 DER) and its RSA key (base64 PKCS#8 DER). */
  brokerClientCert?: string;
  brokerClientKey?: string;
}

/** Reads a string from NVS (Preference.get(domain, key)): undefined when it is not there. */
export type NvsRead = (domain: string, key: string) => unknown;

const NVS_DOMAIN = "broker";

export function brokerLogin(config: BrokerBuildConfig, nvs: NvsRead): { username?: string; password?: string } {
  if (config.brokerPassword) return { username: config.brokerUsername || config.deviceId, password: config.brokerPassword };
  const password = nvs(NVS_DOMAIN, "password");
  if (typeof password !== "string" || password === "") return {};
  const username = nvs(NVS_DOMAIN, "username");
  // The access policy's device account is named after the device: that is the default username.
  return { username: typeof username === "string" && username !== "" ? username : config.deviceId, password };
}

const pem = (label: string, base64: string) => `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----`;

export function brokerTls(config: BrokerBuildConfig): TlsOptions | undefined {
  if (![true, 1, "true", "1"].includes(config.brokerTls as never)) return undefined;
  const tls: TlsOptions = {};
  // Without a CA of its own the SDK verifies against its built-in CAs.
  if (config.brokerCa) tls.ca = pem("CERTIFICATE", config.brokerCa);
  if (config.brokerClientCert && config.brokerClientKey) {
    tls.certificate = pem("CERTIFICATE", config.brokerClientCert);
    tls.key = pem("PRIVATE KEY", config.brokerClientKey);
  }
  return tls;
}
