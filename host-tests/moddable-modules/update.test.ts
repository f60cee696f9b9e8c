// embedded:update and embedded:storage/flash as the emulators keep them, rule by rule from the SDK's
// C (modules/io/update/esp32/update-esp32.c with update-esp32.js; modules/io/flash/esp32/flash-esp32.c)
// and ESP-IDF's esp_ota_ops.c. These are the rules the firmware's OTA adapter depends on; each test
// would fail against an emulator that accepted what the device refuses.
import { beforeEach, describe, expect, it } from 'vitest';
import Update from '../fakes/moddable/sdk/embedded-update';
import flash from '../fakes/moddable/sdk/embedded-storage-flash';
import { Esp32Device, installDevice } from '../fakes/moddable/esp32-device';
import { makeEspImage, verifyEspImage } from '../fakes/moddable/esp-image';
import { OtaImageState } from '../fakes/moddable/esp-idf-ota';
import { thrown } from '../support/thrown';

const image = makeEspImage('2.0.0', 12_000);
let device: Esp32Device;
beforeEach(() => {
  device = installDevice(new Esp32Device({ firmwareVersion: '1.0.0' }));
});
const nextota = () => flash.open({ path: 'nextota' });
const failure = (action: () => unknown) => thrown(action, Error);

describe('embedded:update (update-esp32.c)', () => {
  it('append mode, the default, refuses every write: update-esp32.js always passes byteOffset, and append mode throws for one', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length });
    expect(failure(() => update.write(image.subarray(0, 4096))).message).toBe('offset not allowed');
    expect(failure(() => update.write(image.subarray(0, 4096), 0)).message).toBe('offset not allowed');
  });

  it('"w" mode writes at offsets into a slot esp_ota_begin erased, and complete() makes it the next boot, NEW', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' });
    update.write(image.subarray(4096), 4096); // any order
    update.write(image.subarray(0, 4096), 0);
    update.complete();
    update.close();
    const slot = device.flash.find('ota_1')!;
    expect(verifyEspImage(slot.bytes)).toMatchObject({ ok: true, version: '2.0.0' });
    expect(device.ota.getStatePartition(slot).state).toBe(OtaImageState.NEW);
    device.reboot();
    expect(device.runningVersion).toBe('2.0.0');
  });

  it('erases only byteLength rounded up to 4 KB sectors at open; writing twice over the same bytes gives the AND of both', () => {
    const slot = device.flash.find('ota_1')!;
    slot.bytes.fill(0x00); // an old image
    const update = Update.open({ partition: nextota(), byteLength: 5000, mode: 'w' });
    expect(slot.bytes.subarray(0, 8192).every((b) => b === 0xff)).toBe(true);
    expect(slot.bytes[8192]).toBe(0x00);
    update.write(Uint8Array.of(0xf0), 0);
    update.write(Uint8Array.of(0x0f), 0);
    expect(slot.bytes[0]).toBe(0x00);
  });

  it.each([
    [{}, 'no partition', Error],
    [{ partition: {} }, 'C: xsGetHostChunk: not a host object', SyntaxError],
    [{ partition: 'nextota' }, 'C: xsGetHostChunk: not a host object', SyntaxError],
    [{ partition: 'read-only' }, 'read-only partition', Error],
    [{ partition: 'next', mode: 'r' }, 'invalid mode', RangeError],
    [{ partition: 'next', format: 'string' }, 'unsupported', RangeError],
    [{ partition: 'next', byteLength: -1 }, 'invalid byteLength', RangeError],
    [{ partition: 'next', byteLength: Number.NaN }, 'invalid byteLength', RangeError],
    [{ partition: 'next', byteLength: 0x1e0001 }, 'invalid byteLength', RangeError], // larger than ota_1
  ] as [Record<string, unknown>, string, ErrorConstructor][])('open(%o) throws "%s"', (options, message, errorClass) => {
    const given = { ...options };
    if (given.partition === 'next') given.partition = nextota();
    else if (given.partition === 'read-only') given.partition = flash.open({ path: 'nextota', mode: 'r' });
    const error = thrown(() => Update.open(given as never), errorClass);
    expect(error.message).toBe(message);
  });

  it('refuses an offset outside [0, 2^32 - 1] and a buffer that is not bytes', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' });
    expect(thrown(() => update.write(image, -1), RangeError).message).toBe('invalid offset');
    expect(thrown(() => update.write(image, 2 ** 32), RangeError).message).toBe('invalid offset');
    expect(thrown(() => update.write(new Uint16Array(4), 0), TypeError).message).toBe('invalid buffer');
    expect(thrown(() => update.write('text' as never, 0), TypeError).message).toBe('invalid buffer');
  });

  it('write past the partition fails ("write failed"); complete() of an image that does not verify fails ("end failed"), and after it everything is "already complete"', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' });
    expect(failure(() => update.write(image, 0x170000 - 10)).message).toBe('write failed');
    update.write(image.subarray(0, 6000), 0); // half an image
    expect(failure(() => update.complete()).message).toBe('end failed');
    expect(failure(() => update.write(image, 0)).message).toBe('already complete');
    expect(failure(() => update.complete()).message).toBe('already complete');
    update.close();
    device.reboot();
    expect(device.runningVersion).toBe('1.0.0');
  });

  it('close() aborts an unfinished update, may be called again, and leaves an object that throws', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' });
    update.close();
    update.close();
    expect(thrown(() => update.write(image, 0), SyntaxError).message).toBe('C: xsGetHostChunk: invalid host data');
    expect(thrown(() => update.complete(), SyntaxError).message).toBe('C: xsGetHostChunk: invalid host data');
  });

  it('refuses to begin ("begin failed") while the running image is still pending verification (ESP_ERR_OTA_ROLLBACK_INVALID_STATE)', () => {
    const update = Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' });
    update.write(image, 0);
    update.complete();
    device.reboot();
    expect(device.ota.getStatePartition(device.ota.running).state).toBe(OtaImageState.PENDING_VERIFY);
    expect(failure(() => Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' })).message).toBe('begin failed');
    expect(device.ota.markAppValidCancelRollback()).toBe(0);
    expect(() => Update.open({ partition: nextota(), byteLength: image.length, mode: 'w' })).not.toThrow();
  });

  it('cannot write the running partition: opening it as the update partition fails at esp_ota_begin', () => {
    expect(failure(() => Update.open({ partition: flash.open({ path: 'running' }), mode: 'w' })).message).toBe('begin failed');
  });

  it('new Update and format', () => {
    const update = Update.open({ partition: nextota(), mode: 'w' });
    expect(update.format).toBe('buffer');
    expect(() => (update.format = 'string' as never)).toThrow(RangeError);
  });
});

describe('embedded:storage/flash (flash-esp32.c)', () => {
  it('opens partitions by name: nextota is the OTA slot that does not run, data partitions by label', () => {
    expect(nextota().status()).toEqual({ size: 0x170000, blockLength: 4096, blocks: 368 });
    expect(flash.open({ path: 'nvs' }).status().size).toBe(0x4000);
    expect(failure(() => flash.open({ path: 'ota_1' })).message).toBe("can't find partition"); // app partitions only via running/nextota
    expect(failure(() => flash.open({} as never)).message).toBe('no path');
    expect(failure(() => flash.open({ path: 'nvs', mode: 'w' as never })).message).toBe('invalid mode');
  });

  it('eraseBlock(start) alone fails: the wrapper passes `end` as undefined, which the C code reads as block 0', () => {
    const outbox = flash.open({ path: 'outbox' });
    expect(failure(() => outbox.eraseBlock(2)).message).toBe('erase failed');
    expect(() => outbox.eraseBlock(2, 3)).not.toThrow();
    expect(failure(() => flash.open({ path: 'outbox', mode: 'r' }).write(Uint8Array.of(1), 0)).message).toBe('read-only');
  });
});
