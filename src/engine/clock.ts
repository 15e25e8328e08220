// Time as an input: the real clock for production, a simulated one for the demo, forecasts and tests.

export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class SimulatedClock implements Clock {
  private t: number;

  constructor(start: number | Date | string) {
    this.t = typeof start === 'number' ? start : new Date(start).getTime();
    if (!Number.isFinite(this.t)) throw new Error(`SimulatedClock: bad start time ${String(start)}`);
  }

  now(): number {
    return this.t;
  }

  set(t: number): void {
    if (t < this.t) throw new Error('SimulatedClock: time cannot go backwards');
    this.t = t;
  }

  advance(ms: number): number {
    this.set(this.t + ms);
    return this.t;
  }
}
