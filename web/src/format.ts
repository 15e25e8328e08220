// Display helpers shared by the pages.

export function fmtNumber(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(digits);
}

export function fmtPercent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** `2027-01-12T09:00` (local to the campaign zone) shown as `2027-01-12 09:00`. */
export function fmtLocal(s: string | undefined): string {
  if (!s) return '—';
  // Seconds of zero are noise in a window bound; an offset or Z, when written, is kept.
  return s.replace('T', ' ').replace(/^(\d{4}-\d\d-\d\d \d\d:\d\d):00(\.000)?/, '$1');
}

export function fmtWindow(w: { start: string; end?: string; timezone?: string } | undefined): string {
  if (!w) return 'no window';
  return `${fmtLocal(w.start)} → ${w.end ? fmtLocal(w.end) : 'open-ended'}${w.timezone ? ` (${w.timezone})` : ''}`;
}

export function fmtInstant(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—';
}

export function label(s: string): string {
  return s.replace(/_/g, ' ');
}
