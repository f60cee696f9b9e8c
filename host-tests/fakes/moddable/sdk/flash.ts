// The `flash` module (modules/files/flash) on the installed emulated ESP32: its partitions are the
// ones of boards/esp32/partitions.csv. The contract is flash-module.ts.
import { currentDevice } from '../esp32-device';
import { findFlashPartition, FlashModule } from '../flash-module';

export default class Flash extends FlashModule {
  constructor(name: unknown) {
    const device = currentDevice();
    super(findFlashPartition({ flash: device.flash, running: () => device.ota.getRunningPartition(), nextOta: () => device.ota.getNextUpdatePartition() }, name));
  }
}
