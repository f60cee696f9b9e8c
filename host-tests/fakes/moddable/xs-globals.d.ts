// The Moddable runtime's global trace() (the SDK's typings/xs.d.ts), for the firmware's adapters that
// the host tests run against the emulators; installDevice() (esp32-device.ts) provides it.
declare const trace: (...log: (string | number | boolean)[]) => void;
