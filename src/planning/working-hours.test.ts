import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { toHolidays } from './holidays.js';
import { periodEnd, taskTimes } from './working-hours.js';

const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toMillis();
const local = (t: number, zone: string) =>
  DateTime.fromMillis(t, { zone }).toFormat("ccc yyyy-LL-dd'T'HH:mm ZZ");

describe('taskTimes', () => {
  it('moves a task fired in the last half hour of a Friday to Monday 09:00 across the spring-forward change', () => {
    // US DST began Sunday 2027-03-14 (Energy Policy Act of 2005 §110: second Sunday of March):
    // Friday is UTC−5, Monday UTC−4.
    const zone = 'America/New_York';
    const t = taskTimes({ from: at('2027-03-12T16:30', zone), zone });
    expect(local(t.dueAt, zone)).toBe('Mon 2027-03-15T09:00 -04:00');
    expect(t.dueAt).toBe(Date.parse('2027-03-15T13:00:00Z'));
    expect(local(t.overdueAt, zone)).toBe('Mon 2027-03-15T17:00 -04:00');
    // Three business days after the end of the due day.
    expect(local(t.expiresAt, zone)).toBe('Thu 2027-03-18T17:00 -04:00');
  });

  it('keeps the trigger time when at least an hour of the working day is left', () => {
    const zone = 'Europe/Berlin';
    const t = taskTimes({ from: at('2027-01-05T15:59', zone), zone });
    expect(local(t.dueAt, zone)).toBe('Tue 2027-01-05T15:59 +01:00');
    expect(local(t.overdueAt, zone)).toBe('Tue 2027-01-05T17:00 +01:00');
  });

  it("starts a task fired at night at the next working morning, in the assignee's own hours", () => {
    const zone = 'Asia/Tokyo';
    const hours = { days: [1, 2, 3, 4], start: '10:00', end: '18:30' };
    const t = taskTimes({ from: at('2027-01-07T22:00', zone), zone, hours }); // a Thursday night
    expect(local(t.dueAt, zone)).toBe('Mon 2027-01-11T10:00 +09:00');
    expect(local(t.overdueAt, zone)).toBe('Mon 2027-01-11T18:30 +09:00');
  });

  it('skips a holiday', () => {
    const zone = 'UTC';
    const t = taskTimes({ from: at('2027-01-04T08:00', zone), zone, holidays: toHolidays(['2027-01-04']) });
    expect(local(t.dueAt, zone)).toBe('Tue 2027-01-05T09:00 +00:00');
  });

  it('ends the working period at the local end time on the day the clocks fall back', () => {
    // EU summer time ended Sunday 2027-10-31 (Directive 2000/84/EC, art. 2: last Sunday of October).
    const zone = 'Europe/Berlin';
    const hours = { days: [1, 2, 3, 4, 5, 6, 7], start: '01:00', end: '05:00' };
    expect(local(periodEnd(at('2027-10-31T04:00', zone), hours, zone), zone)).toBe(
      'Sun 2027-10-31T05:00 +01:00',
    );
  });
});
