// Where the Moddable SDK's MQTT client is, and how to bundle it for the XS engine: its imports of
// Moddable modules are given small stand-ins (moddable-shims/). It is read from the SDK the project
// already uses ($MODDABLE, else the shared archive built into ~/.cache), never copied into the repo.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { locateModdableSdk } from '../../moddable/sdk';
import type { ModuleMap } from '../../../host-tests/xs/run-scenario';

const shim = (name: string) => path.resolve(import.meta.dirname, 'moddable-shims', `${name}.ts`);

/** The module map that loads `modules/network/mqtt/mqtt.js` from the SDK, with its imports shimmed. */
export async function moddableMqttModules(): Promise<ModuleMap> {
  const sdk = await locateModdableSdk();
  const client = path.join(sdk.dir, 'modules/network/mqtt/mqtt.js');
  if (!existsSync(client)) throw new Error(`the Moddable SDK at ${sdk.dir} has no ${path.relative(sdk.dir, client)}`);
  return {
    'moddable-sdk/mqtt': client,
    socket: shim('socket'),
    timer: shim('timer'),
    time: shim('time'),
    websocket: shim('websocket'),
  };
}
