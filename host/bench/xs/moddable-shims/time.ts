// Stand-in for Moddable's `time` module: Time.ticks (milliseconds) and Time.delta.
let ticks = 0;

const Time = {
  get ticks(): number {
    return ticks;
  },
  delta(start: number, end = ticks): number {
    return end - start;
  },
};

export function advanceTicks(ms: number): void {
  ticks += ms;
}

export default Time;
