// The base of the core's errors: a stable `code` for programs, a message for people. The name is
// defined on the instance, never assigned: Moddable's XS freezes Error.prototype, and assigning over
// its read-only `name` throws there (the override mistake). Subclasses pass their name explicitly,
// as bundlers may rename classes.
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(name: string, code: Code, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: name, writable: true, configurable: true });
    this.code = code;
  }
}
