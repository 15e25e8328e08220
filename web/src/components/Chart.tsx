// One ECharts chart: ECharts is loaded on first use (its own chunk) and the chart follows its option.
import { useEffect, useRef } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

export function Chart({
  option,
  label,
  height = 280,
}: {
  option: EChartsCoreOption;
  label: string;
  height?: number;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let disposed = false;
    let chart:
      | { setOption(o: EChartsCoreOption, notMerge?: boolean): void; resize(): void; dispose(): void }
      | undefined;
    const resize = () => chart?.resize();
    void import('../charts').then(({ echarts }) => {
      if (disposed || !el.current) return;
      chart = echarts.init(el.current, undefined, { renderer: 'svg' });
      // No animation: the numbers are there at once (and screenshots show them).
      chart.setOption({ animation: false, ...option }, true);
      window.addEventListener('resize', resize);
    });
    return () => {
      disposed = true;
      window.removeEventListener('resize', resize);
      chart?.dispose();
    };
  }, [option]);
  return <div ref={el} className="chart" role="img" aria-label={label} style={{ height }} />;
}
