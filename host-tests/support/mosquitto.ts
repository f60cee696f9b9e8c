// The suites start Mosquitto with the same tool the soak uses (host/mosquitto.ts).
export * from '../../host/mosquitto';
