// Expected failures: one error class with a stable code. Only src/api maps codes to HTTP statuses.

export type BatonErrorCode =
  | 'invalid_input' // a field failed validation (details name the path and the reason)
  | 'not_found'
  | 'conflict' // a unique key is taken, or a state forbids the change
  | 'unauthorized' // no or bad credentials
  | 'forbidden' // credentials fine, the action is not allowed for them
  | 'payload_too_large'
  | 'rate_limited'
  | 'illegal_transition' // a campaign lifecycle move that is not allowed from the current state
  | 'blocked_by_guardrails' // launch refused while blocking findings exist
  | 'frozen' // the measurement plan of a launched campaign cannot change
  | 'config'; // a bad configuration value

export interface FieldIssue {
  /** JSON path (or CSV column) of the offending value, e.g. `goal.target` or `email`. */
  path: string;
  message: string;
}

export class BatonError extends Error {
  readonly code: BatonErrorCode;
  readonly details: unknown;

  constructor(code: BatonErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'BatonError';
    this.code = code;
    this.details = details;
  }

  static invalid(issues: FieldIssue[], summary?: string): BatonError {
    const first = issues[0];
    const message = summary ?? (first ? `${first.path || '(root)'}: ${first.message}` : 'invalid input');
    return new BatonError('invalid_input', message, { issues });
  }

  static notFound(what: string, id: string): BatonError {
    return new BatonError('not_found', `${what} ${JSON.stringify(id)} was not found`);
  }
}

export function isBatonError(e: unknown): e is BatonError {
  return e instanceof BatonError;
}

/** Turns zod issues into field issues with dotted paths (`sequence.2.delay`). */
export function zodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix = '',
): FieldIssue[] {
  return issues.map((i) => ({
    path: [prefix, ...i.path.map((p) => String(p))].filter((s) => s !== '').join('.'),
    message: i.message,
  }));
}
