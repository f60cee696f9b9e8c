// The virtual display the simulator tests photograph: its X Window Dump decoder and PNG encoder
// against a dump built here by the XWD format's rules, and a real Xvfb.
import { execFileSync } from 'node:child_process';
import { inflateSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeXwd, encodePng, startVirtualDisplay } from '../../host/moddable/virtual-display';

/** An XWD v7 ZPixmap of `width`×`height` 32-bit pixels, byte order `littleEndian`, as Xvfb writes it. */
function xwd(width: number, height: number, pixel: (x: number, y: number) => number, littleEndian = true): Buffer {
  const name = Buffer.from('test\0');
  const headerSize = 100 + name.length;
  const bytesPerLine = width * 4;
  const header = Buffer.alloc(headerSize);
  const fields = [headerSize, 7, 2, 24, width, height, 0, littleEndian ? 0 : 1, 32, 0, 32, 32, bytesPerLine, 4, 0xff0000, 0x00ff00, 0x0000ff, 8, 256, 0, width, height, 0, 0, 0];
  fields.forEach((value, i) => header.writeUInt32BE(value >>> 0, i * 4));
  name.copy(header, 100);
  const pixels = Buffer.alloc(bytesPerLine * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (littleEndian) pixels.writeUInt32LE(pixel(x, y), y * bytesPerLine + x * 4);
      else pixels.writeUInt32BE(pixel(x, y), y * bytesPerLine + x * 4);
    }
  }
  return Buffer.concat([header, pixels]);
}

/** The PNG's chunks, each CRC checked with zlib's own crc32. */
function chunks(png: Buffer): Map<string, Buffer> {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const found = new Map<string, Buffer>();
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    found.set(type, Buffer.concat([found.get(type) ?? Buffer.alloc(0), data]));
    at += 12 + length;
  }
  return found;
}

describe('the virtual display', () => {
  const colour = (x: number, y: number) => ((x * 40) << 16) | ((y * 50) << 8) | ((x + y) * 10);

  it('decodes an X Window Dump in either byte order, and crops it', () => {
    for (const littleEndian of [true, false]) {
      const image = decodeXwd(xwd(5, 4, colour, littleEndian), { x: 1, y: 2, width: 3, height: 2 });
      expect(image.width).toBe(3);
      expect(image.height).toBe(2);
      expect([...image.rgb.subarray(0, 3)]).toEqual([40, 100, 30]); // pixel (1, 2)
      expect([...image.rgb.subarray(15, 18)]).toEqual([120, 150, 60]); // pixel (3, 3)
    }
  });

  it('refuses a dump it cannot read, saying what it is', () => {
    const dump = xwd(2, 2, colour);
    dump.writeUInt32BE(6, 4);
    expect(() => decodeXwd(dump)).toThrow('not an XWD version 7 ZPixmap (version 6, format 2)');
    expect(() => decodeXwd(xwd(2, 2, colour), { x: 5, y: 5, width: 2, height: 2 })).toThrow('outside the 2x2 screen');
  });

  it('encodes a PNG whose header, checksums and rows are right', () => {
    const image = decodeXwd(xwd(5, 4, colour));
    const found = chunks(encodePng(image));
    const header = found.get('IHDR')!;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([5, 4, 8, 2]);
    const rows = inflateSync(found.get('IDAT')!);
    expect(rows.length).toBe(4 * (1 + 5 * 3));
    for (let y = 0; y < 4; y++) {
      expect(rows[y * 16]).toBe(0); // filter: none
      expect(rows.subarray(y * 16 + 1, (y + 1) * 16)).toEqual(image.rgb.subarray(y * 15, (y + 1) * 15));
    }
    expect(found.has('IEND')).toBe(true);
  });

  it('runs Xvfb on a display of its own and photographs it', async () => {
    const display = await startVirtualDisplay(320, 200);
    try {
      expect(display.display).toMatch(/^:\d+$/);
      // Paint the root window a known colour with the X server's own tool, then look.
      execFileSync('xsetroot', ['-solid', '#336699'], { env: { ...process.env, DISPLAY: display.display } });
      const { blue } = display.census({ blue: [0x33, 0x66, 0x99] }, 0);
      expect(blue).toBe(320 * 200);
      const header = chunks(display.screenshot({ x: 10, y: 10, width: 100, height: 50 })).get('IHDR')!;
      expect([header.readUInt32BE(0), header.readUInt32BE(4)]).toEqual([100, 50]);
    } finally {
      await display.close();
    }
  });
});
