// The HTTP port over node:http(s): a GET from a byte offset (a Range request), streamed.
import http from 'node:http';
import https from 'node:https';
import type { HttpGet } from '../../ports';

export const nodeHttpGet: HttpGet = (url, fromByte, handlers) => {
  let finished = false;
  const fail = (message: string) => {
    if (finished) return;
    finished = true;
    handlers.onError(message);
  };
  const get = url.startsWith('https:') ? https.get : http.get;
  const request = get(url, { headers: fromByte > 0 ? { Range: `bytes=${fromByte}-` } : {} }, (response) => {
    const status = response.statusCode ?? 0;
    const range = /^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''));
    handlers.onResponse(status, range ? Number(range[1]) : 0);
    if (status !== 200 && status !== 206) {
      finished = true;
      response.resume();
      return;
    }
    response.on('data', (chunk: Buffer) => !finished && handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    response.on('close', () => {
      if (finished) return;
      if (response.complete) {
        finished = true;
        handlers.onEnd();
      } else {
        fail('the connection dropped in the middle of the image');
      }
    });
  });
  request.setTimeout(15_000, () => request.destroy(new Error('no data for 15 s')));
  request.on('error', (error) => fail(error.message));
  return {
    abort() {
      finished = true;
      request.destroy();
    },
  };
};
