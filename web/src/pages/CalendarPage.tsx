// The workspace calendar: planned and sent touches per day (a heatmap on a calendar), days where people are
// touched by two or more campaigns highlighted, and the .ics download.
import { useEffect, useMemo, useState } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { api, type Calendar } from '../api';
import { Chart } from '../components/Chart';

export function CalendarPage() {
  const [cal, setCal] = useState<Calendar | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  useEffect(() => {
    api
      .calendar({ from: from || undefined, to: to || undefined })
      .then(setCal, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [from, to]);

  const option = useMemo((): EChartsCoreOption | null => {
    if (!cal || cal.days.length === 0) return null;
    // The whole requested range, so quiet days show as empty cells (`to` is exclusive).
    const first = cal.from.slice(0, 10);
    const last = new Date(Date.parse(cal.to) - 1).toISOString().slice(0, 10);
    const max = Math.max(1, ...cal.days.map((d) => d.planned + d.sent));
    return {
      tooltip: {
        formatter: (p: { data: [string, number] }) => {
          const d = cal.days.find((x) => x.date === p.data[0]);
          return d ? `${d.date}: ${d.planned} planned, ${d.sent} sent, ${d.collisions} collisions` : '';
        },
      },
      visualMap: {
        min: 0,
        max,
        calculable: false,
        orient: 'horizontal',
        right: 20,
        top: 0,
        seriesIndex: 0,
      },
      calendar: {
        range: [first, last],
        cellSize: [44, 24],
        top: 50,
        left: 40,
        orient: 'horizontal',
        dayLabel: { firstDay: 1 },
      },
      series: [
        {
          type: 'heatmap',
          coordinateSystem: 'calendar',
          data: cal.days.map((d) => [d.date, d.planned + d.sent]),
        },
        {
          type: 'scatter',
          name: 'collisions',
          coordinateSystem: 'calendar',
          symbolSize: 8,
          itemStyle: { color: '#c0392b' },
          data: cal.days.filter((d) => d.collisions > 0).map((d) => [d.date, d.collisions]),
        },
      ],
    };
  }, [cal]);

  const collided = (cal?.days ?? []).filter((d) => d.collisions > 0);
  return (
    <section>
      <div className="title-row">
        <h1>Calendar</h1>
        <a
          className="button"
          href={api.calendarIcsUrl({ from: from || undefined, to: to || undefined })}
          download
        >
          Download .ics
        </a>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Range">
        <label>
          From
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {cal && (
        <p>
          {cal.totals.planned} planned and {cal.totals.sent} sent touches, {cal.totals.collisions} collisions
          (days in {cal.zone}).
        </p>
      )}
      {option && <Chart option={option} label="Touches per day, collisions marked in red" height={220} />}
      {collided.length > 0 && (
        <>
          <h2>Days with collisions</h2>
          <table className="numbers">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">People touched by 2+ campaigns</th>
                <th scope="col">Campaigns</th>
              </tr>
            </thead>
            <tbody>
              {collided.map((d) => (
                <tr key={d.date}>
                  <th scope="row">{d.date}</th>
                  <td>{d.collisions}</td>
                  <td>{[...new Set(d.entries.map((e) => e.campaign_id))].join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
