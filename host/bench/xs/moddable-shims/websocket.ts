// Stand-in for Moddable's `websocket` module: the benchmark uses MQTT over TCP, never this.
export class Client {
  constructor() {
    throw new Error('MQTT over WebSocket is not part of the benchmark');
  }
}
