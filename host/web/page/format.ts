// How the page writes times and numbers (one place, so every panel says them the same way).
const two = (n: number) => String(n).padStart(2, '0');

/** hh:mm:ss in the browser's local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "3 h 05 min", "4 min 10 s", "12 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${two(Math.floor(s / 60) % 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${two(s % 60)} s`;
  return `${s} s`;
}

export function signed(value: number, decimals: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(decimals)}`;
}
