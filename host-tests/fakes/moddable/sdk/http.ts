// Emulator of the Moddable SDK's HTTP client, `Request` of modules/network/http/http.js, fetching
// from the device's image server (Esp32Device.imageServer) instead of a socket.
//
// Contract kept (http.js): new Request({host | address, port = 80, path = "/", method = "GET",
// headers: [name, value, …]}); the instance's `callback(message, value, extra)` receives
// Request.status (1) with the status code, Request.header (2) once per header with the name in
// lower case and the value, Request.headersComplete (3), Request.responseFragment (4) with the
// number of bytes available, which the callback takes with this.read(ArrayBuffer, count) (what it
// leaves is skipped), then Request.responseComplete (5), or Request.error (-2) when the connection
// drops before the body is complete. close() stops everything; callbacks after it never come.
import { currentDevice } from '../esp32-device';

type Callback = (this: Request, message: number, value?: unknown, extra?: unknown) => void;

export class Request {
  static readonly requestFragment = 0;
  static readonly status = 1;
  static readonly header = 2;
  static readonly headersComplete = 3;
  static readonly responseFragment = 4;
  static readonly responseComplete = 5;
  static readonly error = -2;

  callback: Callback | undefined;
  #fragment: Uint8Array | undefined;
  #closed = false;
  #request: { abort(): void };

  constructor(dictionary: { host?: string; address?: string; port?: number; path?: string; method?: string; headers?: unknown[] }) {
    const options = { port: 80, method: 'GET', path: '/', ...dictionary };
    const host = options.host ?? options.address;
    const url = `http://${host}${options.port === 80 ? '' : `:${options.port}`}${options.path}`;
    let fromByte = 0;
    const headers = options.headers ?? [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const range = String(headers[i]).toLowerCase() === 'range' ? /^bytes=(\d+)-$/.exec(String(headers[i + 1])) : null;
      if (range) fromByte = Number(range[1]);
    }
    const server = currentDevice().imageServer;
    const total = server.files.get(url)?.length ?? 0;
    const call = (message: number, value?: unknown, extra?: unknown) => {
      if (!this.#closed) this.callback?.call(this, message, value, extra);
    };
    this.#request = server.get(url, fromByte, {
      onResponse: (status, rangeStart) => {
        call(Request.status, status);
        if (status === 206) {
          call(Request.header, 'content-range', `bytes ${rangeStart}-${total - 1}/${total}`);
          call(Request.header, 'content-length', String(total - rangeStart));
        } else if (status === 200) {
          call(Request.header, 'content-length', String(total));
        }
        call(Request.headersComplete);
      },
      onData: (bytes) => {
        this.#fragment = bytes;
        call(Request.responseFragment, bytes.length);
        this.#fragment = undefined;
      },
      onEnd: () => {
        call(Request.responseComplete);
        this.close();
      },
      onError: () => {
        call(Request.error);
        this.close();
      },
    });
  }

  read(type?: unknown, limit?: number): ArrayBuffer | string | number | undefined {
    const fragment = this.#fragment;
    if (type === undefined) return fragment?.length ?? 0;
    if (!fragment) return undefined;
    const count = Math.min(limit ?? fragment.length, fragment.length);
    const taken = fragment.slice(0, count);
    this.#fragment = fragment.subarray(count);
    if (type === ArrayBuffer) return taken.buffer as ArrayBuffer;
    if (type === String) return String.fromCharCode(...taken);
    throw new Error('emulator: read() types other than ArrayBuffer and String are not modelled');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#request.abort();
  }
}
