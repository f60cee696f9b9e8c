// npm run bench — every benchmark, each printing our figure beside a reference from the same run.
import { benchFlights } from './flights';
import { benchMqtt } from './mqtt';
import { benchNode } from './node';
import { benchOta } from './ota';

await benchMqtt();
await benchNode();
await benchOta();
await benchFlights();
