// Emulator of the Moddable SDK's ECMA-419 `system` module as far as the firmware uses it:
// System.restart() is esp_restart() on the ESP32; it never returns there. Here the reset is recorded
// on the device and the test carries it out (Esp32Device.reboot()).
import { currentDevice } from '../esp32-device';

export default {
  restart(): void {
    currentDevice().requestRestart();
  },
};
