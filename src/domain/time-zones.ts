// IANA time-zone validation (Intl knows every zone the runtime's ICU ships).
const cache = new Map<string, boolean>();

export function isValidTimeZone(zone: string): boolean {
  let ok = cache.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      ok = zone.length > 0 && !/^[+-]?\d/.test(zone);
    } catch {
      ok = false;
    }
    cache.set(zone, ok);
  }
  return ok;
}
