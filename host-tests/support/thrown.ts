// What an action throws, checked to be of the expected class; fails the test when nothing is thrown.
import { expect } from 'vitest';

export function thrown<E extends Error>(action: () => unknown, errorClass: abstract new (...args: never[]) => E): E {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(errorClass);
    return error as E;
  }
  throw new Error(`expected ${errorClass.name} to be thrown`);
}
