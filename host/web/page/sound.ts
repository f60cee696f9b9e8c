// An optional alarm sound for emergencies, made by the page itself (Web Audio), so there is no file
// to fetch. Browsers allow sound only after a user gesture: ticking "Sound" is that gesture.
export class Alarm {
  #context: AudioContext | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  enabled = false;

  enable(on: boolean): void {
    this.enabled = on;
    if (on && !this.#context) this.#context = new AudioContext();
    if (!on) this.stop();
  }

  /** Three beeps now and every 10 s until stop(). */
  start(): void {
    if (!this.enabled || this.#timer !== undefined) return;
    this.#beeps();
    this.#timer = setInterval(() => this.#beeps(), 10_000);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beeps(): void {
    const context = this.#context;
    if (!context) return;
    void context.resume();
    for (let i = 0; i < 3; i++) {
      const start = context.currentTime + i * 0.35;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.4, start);
      gain.gain.setValueAtTime(0, start + 0.2);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.25);
    }
  }
}
