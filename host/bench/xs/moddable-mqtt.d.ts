// The part of the Moddable SDK's MQTT client (modules/network/mqtt/mqtt.js) the benchmark calls.
// The module is loaded from the SDK at run time (see moddable-reference.ts), never copied here.
declare module 'moddable-sdk/mqtt' {
  import type { Socket } from './moddable-shims/socket';
  export default class Client {
    constructor(dictionary: { host: string; port?: number; id?: string; timeout?: number });
    /** The socket the client opened (ours is the stand-in of moddable-shims/socket.ts). */
    ws: Socket;
    onReady?: () => void;
    publish(topic: string, data: ArrayBuffer | string, flags?: { quality?: number; retain?: boolean }): void;
    close(immediate?: boolean): void;
  }
}
