// What an SMTP error means for a touch. Only a permanent refusal of the recipient is a hard bounce (which
// suppresses the address and marks the contact bounced): a 5xx answer to RCPT TO, or a 5xx after DATA
// whose enhanced status (RFC 3463) names the mailbox (5.1.x address, 5.2.x mailbox). A refusal of the
// sender, its credentials or the message (EAUTH, MAIL FROM, 5.7.x policy) says nothing about the
// recipient: the touch fails with the cause named, the contact is left alone. 4xx answers and lost
// connections are temporary (retry); 421/450 mean "too many from you right now" (slow that domain down).

export type SmtpOutcome =
  | { kind: 'retry'; error: string; throttle: boolean }
  | { kind: 'bounce'; error: string; code: number }
  | { kind: 'failed'; error: string };

/** The fields nodemailer's smtp-connection sets on its errors (`_formatError`). */
interface SmtpError {
  message?: string;
  /** EAUTH, EENVELOPE, EMESSAGE, ECONNECTION, ETIMEDOUT, ESOCKET, ETLS, EDNS, … */
  code?: string;
  responseCode?: number;
  response?: string;
  /** The command answered: 'AUTH PLAIN', 'MAIL FROM', 'RCPT TO', 'DATA', 'API' (refused before sending), … */
  command?: string;
}

export function classifySmtpError(e: unknown): SmtpOutcome {
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SmtpError;
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const text = (err.response ?? err.message ?? 'SMTP error').replace(/\s+/g, ' ').slice(0, 300);
  const command = err.command ?? '';
  if (err.code === 'EAUTH') {
    // Wrong or missing relay credentials: every message from this sender would be refused the same way.
    return code !== undefined && code < 500
      ? { kind: 'retry', error: `${code} ${text}`, throttle: false }
      : failed(code, `the SMTP relay refused the sender's credentials (${command || 'AUTH'})`, text);
  }
  if (code === undefined) {
    if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
      // Refused by nodemailer before it was sent (an address it cannot use, an oversized message).
      return failed(code, 'the message could not be sent', text);
    }
    // No SMTP reply at all: the connection failed or dropped. The message may or may not have gone;
    // the retry carries the same Message-ID, so a receiver can de-duplicate.
    return { kind: 'retry', error: `${err.code ?? 'connection'}: ${text}`, throttle: false };
  }
  if (code < 500) return { kind: 'retry', error: `${code} ${text}`, throttle: code === 421 || code === 450 };
  const enhanced = /^\d{3}[ -]5\.(\d{1,3})\.\d{1,3}\b/.exec(err.response ?? '')?.[1];
  if (command === 'RCPT TO') {
    // A policy (5.7.x: relaying denied, sender blocked), mail-system (5.3.x) or protocol (5.5.x) refusal is
    // about us, not the mailbox; a bare 5xx or any other class refuses the recipient.
    if (enhanced === '7' || enhanced === '3' || enhanced === '5') {
      return failed(code, 'the receiving server refused the message by policy', text);
    }
    return { kind: 'bounce', error: `${code} ${text}`, code };
  }
  if (command === 'DATA' && (enhanced === '1' || enhanced === '2')) {
    return { kind: 'bounce', error: `${code} ${text}`, code };
  }
  if (command === 'MAIL FROM') return failed(code, 'the SMTP server refused the sender address', text);
  return failed(code, `the SMTP server refused the message${command ? ` at ${command}` : ''}`, text);
}

/** A permanent failure of this touch only; the error starts with the reply code (metrics read it). */
function failed(code: number | undefined, cause: string, text: string): SmtpOutcome {
  return { kind: 'failed', error: `${code !== undefined ? `${code} ` : ''}${cause}: ${text}` };
}
