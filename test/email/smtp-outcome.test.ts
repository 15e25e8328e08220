// classifySmtpError on the errors nodemailer's smtp-connection builds (`code`, `command`, `responseCode`,
// `response`); enhanced status classes per RFC 3463 §3 (X.1 address, X.2 mailbox, X.3 mail system,
// X.5 protocol, X.7 security or policy).
import { describe, expect, it } from 'vitest';
import { classifySmtpError } from '../../src/channels/email/smtp-outcome.js';

const reply = (code: string, command: string, response: string) => ({
  code,
  command,
  responseCode: Number(response.slice(0, 3)),
  response,
});

describe('classifySmtpError', () => {
  it.each([
    ['550 5.1.1 at RCPT TO', reply('EENVELOPE', 'RCPT TO', '550 5.1.1 No such user'), 'bounce'],
    ['a bare 550 at RCPT TO', reply('EENVELOPE', 'RCPT TO', '550 Mailbox unavailable'), 'bounce'],
    ['552 5.2.2 after DATA (mailbox full)', reply('EMESSAGE', 'DATA', '552 5.2.2 Mailbox full'), 'bounce'],
    ['550 5.1.1 after DATA', reply('EMESSAGE', 'DATA', '550 5.1.1 User unknown'), 'bounce'],
    [
      '554 5.7.1 relaying denied at RCPT TO',
      reply('EENVELOPE', 'RCPT TO', '554 5.7.1 Relay access denied'),
      'failed',
    ],
    ['554 5.7.1 spam refusal after DATA', reply('EMESSAGE', 'DATA', '554 5.7.1 Message refused'), 'failed'],
    ['a bare 554 after DATA', reply('EMESSAGE', 'DATA', '554 Transaction failed'), 'failed'],
    ['553 5.1.8 at MAIL FROM', reply('EENVELOPE', 'MAIL FROM', '553 5.1.8 Sender domain refused'), 'failed'],
    ['535 5.7.8 bad credentials', reply('EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication failed'), 'failed'],
    [
      'credentials nodemailer lacks',
      { code: 'EAUTH', command: 'API', message: 'Missing credentials' },
      'failed',
    ],
    ['454 4.7.0 temporary auth failure', reply('EAUTH', 'AUTH LOGIN', '454 4.7.0 Try again'), 'retry'],
    ['450 4.2.1 at RCPT TO', reply('EENVELOPE', 'RCPT TO', '450 4.2.1 Slow down'), 'retry'],
    ['a timeout', { code: 'ETIMEDOUT', message: 'Greeting never received' }, 'retry'],
    ['a refused connection', { code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'retry'],
  ])('%s → %s', (_name, error, kind) => {
    expect(classifySmtpError(error).kind).toBe(kind);
  });

  it('names the cause and keeps the reply code first (metrics class by it)', () => {
    const auth = classifySmtpError(reply('EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication failed'));
    expect(auth.error).toMatch(/^535 the SMTP relay refused the sender's credentials/);
    const from = classifySmtpError(reply('EENVELOPE', 'MAIL FROM', '553 5.1.8 Sender domain refused'));
    expect(from.error).toMatch(/^553 the SMTP server refused the sender address/);
    expect(classifySmtpError(reply('EENVELOPE', 'RCPT TO', '421 4.7.0 Too many'))).toMatchObject({
      kind: 'retry',
      throttle: true,
    });
  });
});
