// A virtual X display (Xvfb) whose screen can be photographed: for running the desktop simulator
// without a monitor and taking a screenshot of its window. Xvfb keeps its framebuffer in a file
// (`-fbdir`) in the X Window Dump format; `screenshot()` reads that file and encodes a PNG, so no
// screenshot tool (xwd, ImageMagick) is needed. Xvfb picks a free display number itself
// (`-displayfd`), so parallel runs never collide.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

export interface VirtualDisplay {
  /** The value for $DISPLAY, e.g. ":3". */
  display: string;
  width: number;
  height: number;
  /** The screen (or the part of it in `area`) as a PNG. */
  screenshot(area?: Area): Buffer;
  /** How many pixels of the screen have each colour (each channel within `tolerance`). */
  census<K extends string>(colours: Record<K, [number, number, number]>, tolerance?: number): Record<K, number>;
  close(): Promise<void>;
}

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class VirtualDisplayError extends Error {
  readonly code = 'VIRTUAL_DISPLAY_FAILED';
}

export async function startVirtualDisplay(width = 1024, height = 768): Promise<VirtualDisplay> {
  const fbDir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-xvfb-'));
  let child: ChildProcess;
  try {
    child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-fbdir', fbDir, '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new VirtualDisplayError(`cannot start Xvfb (${(error as Error).message}): install it (Debian: apt-get install xvfb)`);
  }
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.setEncoding('utf8');
    fd3.on('data', (text: string) => {
      out += text;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('error', (error) => reject(new VirtualDisplayError(`cannot start Xvfb (${error.message}): install it (Debian: apt-get install xvfb)`)));
    child.once('exit', (code) => reject(new VirtualDisplayError(`Xvfb exited (${code}) before it was ready: ${stderr.trim().split('\n').slice(-3).join(' / ')}`)));
  });
  const framebuffer = path.join(fbDir, 'Xvfb_screen0');
  return {
    display: `:${number}`,
    width,
    height,
    screenshot: (area) => encodePng(decodeXwd(readFileSync(framebuffer), area)),
    census: (colours, tolerance = 12) => countColours(decodeXwd(readFileSync(framebuffer)), colours, tolerance),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(fbDir, { recursive: true, force: true });
    },
  };
}

/** Pixels as rows of 8-bit R, G, B. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Buffer;
}

/**
 * Decodes an X Window Dump (version 7, ZPixmap, 24/32 bits per pixel: what Xvfb writes), cropped to
 * `area` when given. The XWD header is big-endian; the pixels follow the byte order it names.
 */
export function decodeXwd(xwd: Buffer, area?: Area): RgbImage {
  const field = (index: number) => xwd.readUInt32BE(index * 4);
  const headerSize = field(0);
  if (field(1) !== 7 || field(2) !== 2) throw new VirtualDisplayError(`not an XWD version 7 ZPixmap (version ${field(1)}, format ${field(2)})`);
  const width = field(4);
  const height = field(5);
  const littleEndian = field(7) === 0;
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const masks = [field(14), field(15), field(16)];
  const colours = field(19);
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) throw new VirtualDisplayError(`XWD with ${bitsPerPixel} bits per pixel is not supported (run Xvfb at depth 24)`);
  const shifts = masks.map((mask) => (mask === 0 ? 0 : Math.clz32(0) - Math.clz32(mask) - 8));
  const pixels = headerSize + colours * 12;
  const crop = area ?? { x: 0, y: 0, width, height };
  const x0 = Math.max(0, crop.x);
  const y0 = Math.max(0, crop.y);
  const w = Math.min(width, crop.x + crop.width) - x0;
  const h = Math.min(height, crop.y + crop.height) - y0;
  if (w <= 0 || h <= 0) throw new VirtualDisplayError(`the area ${JSON.stringify(crop)} is outside the ${width}x${height} screen`);
  const bytesPerPixel = bitsPerPixel / 8;
  const rgb = Buffer.alloc(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = pixels + (y0 + y) * bytesPerLine + (x0 + x) * bytesPerPixel;
      const value = bytesPerPixel === 4 ? (littleEndian ? xwd.readUInt32LE(at) : xwd.readUInt32BE(at)) : littleEndian ? xwd.readUIntLE(at, 3) : xwd.readUIntBE(at, 3);
      for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = (value & masks[c]) >>> shifts[c];
    }
  }
  return { width: w, height: h, rgb };
}

function countColours<K extends string>(image: RgbImage, colours: Record<K, [number, number, number]>, tolerance: number): Record<K, number> {
  const names = Object.keys(colours) as K[];
  const counts = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  const { rgb } = image;
  for (let i = 0; i < rgb.length; i += 3) {
    for (const name of names) {
      const [r, g, b] = colours[name];
      if (Math.abs(rgb[i] - r) <= tolerance && Math.abs(rgb[i + 1] - g) <= tolerance && Math.abs(rgb[i + 2] - b) <= tolerance) counts[name]++;
    }
  }
  return counts;
}

/** An 8-bit RGB PNG of the image (rows unfiltered, deflated). */
export function encodePng(image: RgbImage): Buffer {
  const { width: w, height: h, rgb } = image;
  const raw = Buffer.alloc(h * (1 + w * 3));
  for (let y = 0; y < h; y++) rgb.copy(raw, y * (1 + w * 3) + 1, y * w * 3, (y + 1) * w * 3); // filter byte 0 (None), then the row
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method variants, no interlace
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The CRC-32 PNG chunks carry (ISO 3309, as zlib's). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
