// Imports a Node module: bundling for XS must refuse it by name.
import { readFileSync } from 'node:fs';
export default function importsNode() {
  return readFileSync.name;
}
