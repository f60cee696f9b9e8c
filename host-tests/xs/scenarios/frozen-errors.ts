// Moddable's XS freezes the built-in prototypes of a preloaded app, so `this.name = …` in an Error
// subclass throws there (the override mistake). Every error class of the core must construct on a
// frozen Error.prototype; this runs on XS only, where freezing cannot disturb other suites.
import { ConfigError } from '../../../src/app/config';
import { ConnectionRefusedError, ProtocolError, UsageError } from '../../../src/mqtt/errors';
import { OtaError } from '../../../src/ota/manifest';
import { SensorFault } from '../../../src/sensor/errors';

export default function constructOnFrozenPrototypes() {
  Object.freeze(Error.prototype);
  return [
    new ProtocolError('X', 'MQTT-1', 'bad'),
    new UsageError('X', 'bad'),
    new ConnectionRefusedError(5),
    new SensorFault('NACK', 'gone'),
    new OtaError('BAD_SIGNATURE', 'no'),
    new ConfigError('bad config'),
  ].map((error) => `${error.name}: ${error.message}`);
}
