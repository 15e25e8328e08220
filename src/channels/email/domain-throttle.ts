// Per-recipient-domain hourly limits (for example at most 500 an hour to one mailbox provider). A
// provider's 421/450 answer pauses that domain and halves its allowance for the rest of the hour,
// instead of failing the touches. State lives in the worker process (one worker per relay is the norm);
// several workers each apply the limit, so divide it by their number when running more than one.
import { HOUR_MS } from '../../domain/email-sender.js';

const FIRST_PAUSE_MS = 5 * 60_000;

interface DomainState {
  hour: number;
  count: number;
  /** Share of the configured limit still allowed this hour (halved by each "too many" answer). */
  factor: number;
  pausedUntil: number;
  strikes: number;
}

export class DomainThrottle {
  private readonly state = new Map<string, DomainState>();

  constructor(
    private readonly limits: Readonly<Record<string, number>> = {},
    private readonly defaultLimit = Infinity,
  ) {}

  private get(domain: string, now: number): DomainState {
    const hour = Math.floor(now / HOUR_MS);
    let s = this.state.get(domain);
    if (!s) this.state.set(domain, (s = { hour, count: 0, factor: 1, pausedUntil: 0, strikes: 0 }));
    if (s.hour !== hour) Object.assign(s, { hour, count: 0, factor: 1, strikes: 0 });
    return s;
  }

  limitOf(domain: string): number {
    return this.limits[domain] ?? this.defaultLimit;
  }

  /** 0 when one more message to `domain` may go now (it is counted); otherwise how long to wait (ms). */
  take(domain: string, now: number): number {
    const s = this.get(domain, now);
    if (s.pausedUntil > now) return s.pausedUntil - now;
    const limit = this.limitOf(domain);
    if (limit !== Infinity && s.count >= Math.max(1, Math.floor(limit * s.factor))) {
      return (s.hour + 1) * HOUR_MS - now;
    }
    s.count++;
    return 0;
  }

  /** Gives back a counted message that did not go (it will be retried). */
  release(domain: string, now: number): void {
    const s = this.get(domain, now);
    if (s.count > 0) s.count--;
  }

  /** The provider answered 421/450: pause the domain (5, 10, 20… minutes) and halve its hourly rate. */
  slowDown(domain: string, now: number): number {
    const s = this.get(domain, now);
    if (s.pausedUntil > now) return s.pausedUntil - now;
    s.strikes++;
    s.factor /= 2;
    const pause = Math.min(HOUR_MS, FIRST_PAUSE_MS * 2 ** (s.strikes - 1));
    s.pausedUntil = now + pause;
    return pause;
  }
}
