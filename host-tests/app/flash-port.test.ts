// The flash ports against the SDK's flash module as its C source behaves (modules/files/flash/flash.js,
// esp32/flash.c over ESP-IDF's esp_partition_*): the emulator the outbox tests run on, and the file the
// host simulation and the soak keep the outbox in.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFlash } from '../../src/platform/node/file-flash';
import { NorFlashChip, PowerLoss } from '../fakes/sdk-flash';
import { thrown } from '../support/thrown';

const bytes = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)];

describe('emulated SDK flash module (ESP32)', () => {
  const chip = () => new NorFlashChip({ outbox: 4 * 4096 });

  it('finds a data partition by label, else throws "can\'t find partition"; it has no close()', () => {
    const flash = chip().open('outbox');
    expect(flash.byteLength).toBe(16384);
    expect(flash.blockSize).toBe(4096);
    expect(thrown(() => chip().open('storage'), Error)).toMatchObject({ message: "can't find partition" });
    expect(thrown(() => chip().open(Symbol('outbox') as unknown as string), TypeError)).toMatchObject({ name: 'TypeError' }); // xsmcToString
    expect('close' in flash).toBe(false); // flash.js declares no close() on the ESP32
  });

  it('programs like NOR flash: bits only go from 1 to 0; erase sets a whole sector back to 0xFF', () => {
    const c = chip();
    const flash = c.open('outbox');
    flash.write(10, 2, new Uint8Array([0b1010_1010, 0x0f]));
    flash.write(10, 2, new Uint8Array([0b1100_1100, 0xff])); // asks to raise bits: the chip keeps them 0
    expect(bytes(flash.read(10, 2))).toEqual([0b1000_1000, 0x0f]);
    expect(c.zeroToOneBits).toBe(2 + 4);
    flash.erase(0);
    expect(bytes(flash.read(10, 2))).toEqual([0xff, 0xff]);
    expect(c.eraseCounts('outbox')[0]).toBe(1);
  });

  it('converts arguments as xsmcToInteger does (ToInt32) and takes any byte buffer', () => {
    const flash = chip().open('outbox');
    flash.write('4096' as unknown as number, 3.9 as unknown as number, new Uint8Array([1, 2, 3, 4]).buffer);
    expect(bytes(flash.read(4096, 3))).toEqual([1, 2, 3]);
    flash.write(5000, 2, new DataView(new Uint8Array([7, 8]).buffer));
    expect(bytes(flash.read(5000, 2))).toEqual([7, 8]);
    expect(thrown(() => flash.read(Symbol('x') as unknown as number, 1), TypeError)).toMatchObject({ name: 'TypeError', message: 'cannot coerce symbol to integer' });
  });

  it('refuses what the C code refuses, with its errors', () => {
    const flash = chip().open('outbox');
    expect(thrown(() => flash.erase(4), Error)).toMatchObject({ message: 'erase failed' }); // sector past the partition
    expect(thrown(() => flash.erase(-1), Error)).toMatchObject({ message: 'erase failed' });
    expect(thrown(() => flash.read(16380, 8), Error)).toMatchObject({ message: 'read failed' });
    expect(thrown(() => flash.read(-1, 1), Error)).toMatchObject({ message: 'read failed' });
    expect(thrown(() => flash.read(0, -1), RangeError)).toMatchObject({ name: 'RangeError', message: 'invalid byteLength -1' });
    expect(thrown(() => flash.write(0, 0, new Uint8Array(1)), Error)).toMatchObject({ message: 'invalid' });
    expect(thrown(() => flash.write(0, 4, new Uint8Array(2)), Error)).toMatchObject({ message: 'invalid' });
    expect(thrown(() => flash.write(16383, 2, new Uint8Array(2)), Error)).toMatchObject({ message: 'write failed' });
    expect(thrown(() => flash.write(0, 2, new Uint16Array(2) as unknown as Uint8Array), TypeError)).toMatchObject({ name: 'TypeError', message: 'invalid buffer' });
    expect(thrown(() => flash.write(0, 2, [1, 2] as unknown as Uint8Array), TypeError)).toMatchObject({ name: 'TypeError', message: 'invalid buffer' });
  });

  it('loses power on the chosen operation, tearing it, and refuses everything until powered again', () => {
    const c = new NorFlashChip({ outbox: 4096 }, 5);
    const flash = c.open('outbox');
    c.cutPowerAfter(1);
    flash.write(0, 4, new Uint8Array([0, 0, 0, 0])); // completes
    expect(thrown(() => flash.write(100, 200, new Uint8Array(200)), PowerLoss)).toBeInstanceOf(PowerLoss);
    const torn = new Uint8Array(c.contents('outbox').slice(100, 300));
    expect(torn.some((b) => b === 0) && torn.some((b) => b !== 0)).toBe(true); // part programmed, part not
    expect(thrown(() => flash.read(0, 4), PowerLoss)).toBeInstanceOf(PowerLoss);
    c.powerOn();
    expect(bytes(flash.read(0, 4))).toEqual([0, 0, 0, 0]);
  });
});

describe('the host simulation\'s outbox file (FileFlash)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'altimeter-flash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts erased, programs like NOR flash, erases sectors, and keeps its bytes across a reopen', () => {
    const file = path.join(dir, 'state', 'outbox.bin');
    const flash = new FileFlash(file, 3 * 4096);
    expect(bytes(flash.read(0, 2))).toEqual([0xff, 0xff]);
    flash.write(4096, 2, new Uint8Array([0x0f, 0xf0]));
    flash.write(4096, 2, new Uint8Array([0xff, 0x3c]));
    expect(bytes(flash.read(4096, 2))).toEqual([0x0f, 0x30]);
    flash.close();
    const again = new FileFlash(file, 3 * 4096);
    expect(bytes(again.read(4096, 2))).toEqual([0x0f, 0x30]);
    again.erase(1);
    expect(bytes(again.read(4096, 2))).toEqual([0xff, 0xff]);
    expect(thrown(() => again.read(3 * 4096 - 1, 2), Error)).toMatchObject({ message: expect.stringContaining('read failed') });
    expect(thrown(() => again.erase(3), Error)).toMatchObject({ message: expect.stringContaining('erase failed') });
    again.close();
  });
});
