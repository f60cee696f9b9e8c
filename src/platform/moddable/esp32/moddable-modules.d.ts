// Moddable SDK modules that @moddable/typings does not describe (ECMA-419 "system" in SDK 8).
declare module "system" {
  const System: { restart(): void };
  export default System;
}
