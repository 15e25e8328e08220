// What an SMTP error means for a touch: 4xx and lost connections are temporary (retry), 5xx is a hard
// bounce, and 421/450 from a provider mean "too many from you right now" (slow that domain down).

export type SmtpOutcome =
  { kind: 'retry'; error: string; throttle: boolean } | { kind: 'bounce'; error: string; code: number };

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

export function classifySmtpError(e: unknown): SmtpOutcome {
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SmtpError;
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const text = (err.response ?? err.message ?? 'SMTP error').replace(/\s+/g, ' ').slice(0, 300);
  if (code === undefined) {
    // No SMTP reply at all: the connection failed or dropped. The message may or may not have gone;
    // the retry carries the same Message-ID, so a receiver can de-duplicate.
    return { kind: 'retry', error: `${err.code ?? 'connection'}: ${text}`, throttle: false };
  }
  if (code >= 500) return { kind: 'bounce', error: `${code} ${text}`, code };
  return { kind: 'retry', error: `${code} ${text}`, throttle: code === 421 || code === 450 };
}
