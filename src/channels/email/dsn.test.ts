import { describe, expect, it } from 'vitest';
import { dsnVerdict } from '../inbound-smtp.js';

// Per-recipient fields as in the examples of RFC 3464 §6.
describe('dsnVerdict', () => {
  it('reads failed 5.x.x as hard, delayed or 4.x.x as soft, delivered as no bounce', () => {
    expect(
      dsnVerdict('Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 user unknown\r\n'),
    ).toEqual({
      bounce: 'hard',
      status: '5.1.1',
      diagnostic: 'smtp; 550 user unknown',
    });
    expect(dsnVerdict('Action: failed\r\nStatus: 4.4.7\r\n').bounce).toBe('soft');
    expect(dsnVerdict('Action: delayed\r\nStatus: 4.4.1\r\n').bounce).toBe('soft');
    expect(dsnVerdict('Action: delivered\r\nStatus: 2.0.0\r\n').bounce).toBeNull();
  });
});
