// The forecast before launch: touches per day and channel, people pushed by caps, touches past the end.
import { useEffect, useMemo, useState } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { api, type Forecast } from '../api';
import { Chart } from './Chart';

export function ForecastView({ id }: { id: string }) {
  const [f, setF] = useState<Forecast | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.forecast(id).then(setF, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [id]);
  const channels = useMemo(
    () => (f ? [...new Set(f.days.flatMap((d) => Object.keys(d.channels)))] : []),
    [f],
  );
  const option = useMemo((): EChartsCoreOption | null => {
    if (!f || f.days.length === 0) return null;
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: channels, top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: f.days.map((d) => d.date) },
      yAxis: { type: 'value', name: 'touches' },
      series: channels.map((ch) => ({
        name: ch,
        type: 'bar',
        stack: 'touches',
        data: f.days.map((d) => d.channels[ch] ?? 0),
      })),
    };
  }, [f, channels]);
  return (
    <section aria-labelledby="forecast">
      <h2 id="forecast">Forecast</h2>
      {error && <p className="muted">The forecast is not available: {error}</p>}
      {!f && !error && <p className="muted">Forecasting…</p>}
      {f && (
        <p>
          {f.audience.contacts} contacts ({f.audience.treatment} treated, {f.audience.holdout} held out);{' '}
          {f.totals.touches} touches planned, {f.totals.conditional} conditional; {f.capped.people} people
          pushed by frequency caps ({f.capped.touches} touches moved); {f.totals.window_closed} touches would
          fall after the end.
        </p>
      )}
      {option && <Chart option={option} label="Forecast touches per day and channel" />}
      {f && f.days.length > 0 && (
        <table className="numbers forecast">
          <caption>Touches per day and channel ({f.zone})</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {channels.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {f.days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{d.date}</th>
                {channels.map((c) => (
                  <td key={c}>{d.channels[c] ?? 0}</td>
                ))}
                <td>{d.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
