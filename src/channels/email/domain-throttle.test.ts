import { describe, expect, it } from 'vitest';
import { DomainThrottle } from './domain-throttle.js';
import { classifySmtpError } from './smtp-outcome.js';

const H = 3_600_000;
const T = 1000 * H; // the start of an hour

describe('DomainThrottle', () => {
  it('allows the hourly limit per domain, then asks to wait for the next hour', () => {
    const t = new DomainThrottle({ 'gmail.com': 2 });
    expect(t.take('gmail.com', T)).toBe(0);
    expect(t.take('gmail.com', T + 1)).toBe(0);
    expect(t.take('gmail.com', T + 2)).toBe(H - 2);
    expect(t.take('other.org', T + 2)).toBe(0);
    expect(t.take('gmail.com', T + H)).toBe(0);
  });

  it('pauses a domain after "too many" and halves its rate for the rest of the hour', () => {
    const t = new DomainThrottle({ 'yahoo.com': 10 });
    expect(t.take('yahoo.com', T)).toBe(0);
    expect(t.slowDown('yahoo.com', T)).toBe(5 * 60_000);
    expect(t.take('yahoo.com', T + 60_000)).toBe(4 * 60_000);
    for (let i = 0; i < 4; i++) expect(t.take('yahoo.com', T + 6 * 60_000)).toBe(0);
    expect(t.take('yahoo.com', T + 6 * 60_000)).toBeGreaterThan(0);
    expect(t.slowDown('yahoo.com', T + 7 * 60_000)).toBe(10 * 60_000);
  });
});

describe('classifySmtpError', () => {
  it('retries 4xx and lost connections, bounces a 5xx to RCPT TO, throttles on 421/450', () => {
    expect(classifySmtpError({ responseCode: 451, response: '451 try later' })).toMatchObject({
      kind: 'retry',
      throttle: false,
    });
    expect(classifySmtpError({ responseCode: 421 })).toMatchObject({ kind: 'retry', throttle: true });
    expect(classifySmtpError({ responseCode: 450 })).toMatchObject({ kind: 'retry', throttle: true });
    expect(
      classifySmtpError({ responseCode: 550, response: '550 no such user', command: 'RCPT TO' }),
    ).toMatchObject({
      kind: 'bounce',
      code: 550,
    });
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' })).toMatchObject({
      kind: 'retry',
    });
  });
});
