// npm run bench — every benchmark, each printing our figure beside a reference from the same run.
import { benchMqtt } from './mqtt';
import { benchNode } from './node';

await benchMqtt();
await benchNode();
