// npm run bench — every benchmark, each printing our figure beside a reference from the same run.
import { benchMqtt } from './mqtt';

await benchMqtt();
