// Paces a redraw that a stream of events asks for: the first request runs at once, later ones at
// most once per interval, and a request is never lost (one made during the wait runs when it ends).
// No DOM: the clock and the timer are passed in (the page passes performance.now and setTimeout).

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
}

export class Pacer {
  private last = -Infinity;
  private waiting = false;

  constructor(
    private readonly interval: number,
    private readonly run: () => void,
    private readonly clock: Clock,
  ) {}

  /** Runs now if the last run is at least `interval` ago, else once when it is. */
  request(): void {
    if (this.waiting) return; // the pending run will see this request's data too
    const wait = this.last + this.interval - this.clock.now();
    if (wait <= 0) return this.fire();
    this.waiting = true;
    this.clock.setTimeout(() => {
      this.waiting = false;
      this.fire();
    }, wait);
  }

  private fire(): void {
    this.last = this.clock.now();
    this.run();
  }
}
