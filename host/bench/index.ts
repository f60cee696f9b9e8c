// npm run bench — every benchmark, each printing our figure beside a reference from the same run.
import { benchMqtt } from './mqtt';
import { benchNode } from './node';
import { benchOta } from './ota';
import { benchGroundStation } from './ground-station';

await benchMqtt();
await benchNode();
await benchOta();
await benchGroundStation();
