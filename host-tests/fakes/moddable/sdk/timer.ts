// Emulator of the Moddable SDK's `timer` (modules/base/timer/timer.js and modTimer.c) on the device's
// virtual clock.
//
// Contract kept (modTimer.c): set(callback, delay = 0, repeat = 0) and repeat(callback, interval)
// return a timer object and call callback(timer); a one-shot timer is released after it fires, and
// clear() of a released or unknown timer does nothing; schedule(timer, delay, repeat) reschedules a
// live one (a released one: SyntaxError); delay(ms) blocks: time moves on, and no timer runs during it.
import { currentDevice } from '../esp32-device';
import { closedHostData, toInteger } from '../xs-values';
import type { TimerHandle } from '../../../../src/ports';

interface TimerRecord {
  callback: (timer: TimerObject) => void;
  handle: TimerHandle | undefined;
}

type TimerObject = object;
const records = new WeakMap<TimerObject, TimerRecord | null>();

function arm(timer: TimerObject, record: TimerRecord, delayMs: number, repeatMs: number): void {
  const clock = currentDevice().clock;
  if (record.handle) clock.clearTimer(record.handle);
  const fire = () => {
    if (!repeatMs) records.set(timer, null); // released after its one call
    record.callback(timer);
  };
  if (repeatMs && delayMs === repeatMs) record.handle = clock.setRepeatingTimer(fire, repeatMs);
  else if (repeatMs) {
    record.handle = clock.setTimer(() => {
      record.handle = clock.setRepeatingTimer(fire, repeatMs);
      fire();
    }, delayMs);
  } else record.handle = clock.setTimer(fire, delayMs);
}

function create(callback: unknown, delayMs: number, repeatMs: number): TimerObject {
  if (typeof callback !== 'function') throw new TypeError('callback is not a function');
  const timer: TimerObject = {};
  const record: TimerRecord = { callback: callback as TimerRecord['callback'], handle: undefined };
  records.set(timer, record);
  arm(timer, record, delayMs, repeatMs);
  return timer;
}

export default class Timer {
  static set(callback: unknown, delay?: unknown, repeat?: unknown): TimerObject {
    return create(callback, toInteger(delay), toInteger(repeat));
  }

  static repeat(callback: unknown, interval: unknown): TimerObject {
    const ms = toInteger(interval);
    return create(callback, ms, ms);
  }

  static schedule(timer: TimerObject, delay?: unknown, repeat?: unknown): void {
    const record = records.get(timer);
    if (!record) throw closedHostData();
    if (delay === undefined) {
      if (record.handle) currentDevice().clock.clearTimer(record.handle);
      record.handle = undefined;
      return;
    }
    arm(timer, record, toInteger(delay), toInteger(repeat));
  }

  static clear(timer: unknown): void {
    if (typeof timer !== 'object' || timer === null) return;
    const record = records.get(timer);
    if (!record) return;
    if (record.handle) currentDevice().clock.clearTimer(record.handle);
    records.set(timer, null);
  }

  static delay(ms: unknown): void {
    currentDevice().clock.elapse(toInteger(ms));
  }
}
