// npm run bench — every benchmark, each printing our figure beside a reference from the same run.
import { benchMqtt } from './mqtt';
import { benchNode } from './node';
import { benchOta } from './ota';
import { benchNativeVerify } from './native-verify';
import { benchDeviceMemory } from './device-memory';

await benchMqtt();
await benchNode();
await benchOta();
// These two build the firmware for the Moddable desktop simulator and run it there.
await benchNativeVerify();
await benchDeviceMemory();
