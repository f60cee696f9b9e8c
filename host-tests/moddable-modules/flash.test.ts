// The ESP32 outbox's own adapter (src/platform/moddable/esp32/outbox-flash.ts, the file the device
// build compiles) on the emulated ESP32, through the emulator of the SDK's legacy `flash` module
// (modules/files/flash/esp32/flash.c: host-tests/fakes/moddable/flash-module.ts; its rule-by-rule
// contract tests are in host-tests/app/flash-port.test.ts). The partition is the one of
// boards/esp32/partitions.csv, on the same emulated chip the OTA slots and NVS live on.
import { beforeEach, describe, expect, it } from 'vitest';
import { openOutboxFlash } from '../../src/platform/moddable/esp32/outbox-flash';
import { FlashLog, RECORD_TELEMETRY, type LogOwner } from '../../src/app/flash-log';
import Flash from '../fakes/moddable/sdk/flash';
import { Esp32Device, installDevice } from '../fakes/moddable/esp32-device';
import { PowerLoss } from '../fakes/moddable/esp-flash';
import { thrown } from '../support/thrown';

let device: Esp32Device;
beforeEach(() => {
  device = installDevice(new Esp32Device({ firmwareVersion: '1.0.0' }));
});
const owner: LogOwner = { keeps: () => true, dropping: () => {} };

describe('the ESP32 outbox partition through the SDK flash module', () => {
  it('opens the 1 MB "outbox" data partition of the board\'s table, in 4 KB sectors', () => {
    const area = openOutboxFlash();
    expect(area.byteLength).toBe(device.flash.find('outbox')!.size);
    expect(area.byteLength).toBe(0x100000);
    expect(area.blockSize).toBe(4096);
  });

  it('on a board flashed with an older partition table (no "outbox"), keeps the outbox in RAM and says how to fix it', () => {
    const oldTable = ['nvs, data, nvs, 0x9000, 0x4000', 'otadata, data, ota, 0xd000, 0x2000', 'ota_0, app, ota_0, 0x10000, 0x1E0000', 'ota_1, app, ota_1, 0x1F0000, 0x1E0000'].join('\n');
    const old = installDevice(new Esp32Device({ partitionTable: oldTable }));
    const area = openOutboxFlash();
    expect(area.byteLength).toBe(16 * 4096);
    expect(old.traces.join('')).toContain('outbox: no "outbox" flash partition (can\'t find partition): flash the partition table of boards/esp32; until then the outbox is in RAM');
  });

  it('names partitions as flash.c does: data partitions by label, "running"/"nextota" the OTA slots; an app slot by label is not found', () => {
    expect(new Flash('running').byteLength).toBe(device.flash.find('ota_0')!.size);
    expect(new Flash('nvs').byteLength).toBe(0x4000);
    expect(thrown(() => new Flash('ota_1'), Error).message).toBe("can't find partition"); // type app: not a data partition
    expect(thrown(() => new Flash('nextota').erase(368), Error).message).toBe('erase failed'); // past the slot's last sector
  });

  it('keeps the log across a reset, and a power cut mid-append loses at most that record', () => {
    const log = new FlashLog(openOutboxFlash());
    log.recover(() => {});
    const body = new Uint8Array(29).fill(7);
    for (let i = 0; i < 5; i++) log.append(RECORD_TELEMETRY, body, body.length, owner);
    device.flash.cutPowerAfter(0);
    expect(() => log.append(RECORD_TELEMETRY, body, body.length, owner)).toThrow(PowerLoss);
    device.powerCycle();
    const after = new FlashLog(openOutboxFlash());
    let records = 0;
    after.recover((_location, type, _id, done, bytes, start, length) => {
      expect(type).toBe(RECORD_TELEMETRY);
      expect(done).toBe(false);
      expect([...bytes.subarray(start, start + length)]).toEqual([...body]);
      records++;
    });
    expect(records).toBe(5);
  });
});
