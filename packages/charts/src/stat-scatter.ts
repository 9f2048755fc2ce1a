import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, chartTitle } from './theme.js';

/** One point: a channel's reference value (x) against a measured one (y), in one panel and series. */
export interface StatPoint {
  readonly panel: string;
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

export interface StatScatterInput {
  readonly title: string;
  /** One line, or several. */
  readonly subtitle?: string | readonly string[];
  readonly xTitle: string;
  readonly yTitle: string;
  readonly seriesTitle: string;
  readonly points: readonly StatPoint[];
  readonly panels?: readonly string[];
  readonly series?: readonly string[];
}

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/** The y = x line of each panel over the range of its points. */
function diagonals(points: readonly StatPoint[]): { panel: string; v: number }[] {
  const out: { panel: string; v: number }[] = [];
  for (const panel of distinct(points.map((p) => p.panel))) {
    const vs = points.filter((p) => p.panel === panel).flatMap((p) => [p.x, p.y]);
    out.push({ panel, v: Math.min(...vs) }, { panel, v: Math.max(...vs) });
  }
  return out;
}

/**
 * Scatter panels of measured against reference values with the y = x line (dashed): a point
 * on the line matches its reference. Figure 3's batch statistics against the BN's running ones.
 */
export function statScatterSpec(i: StatScatterInput): TopLevelSpec {
  const series = [...(i.series ?? distinct(i.points.map((p) => p.series)))];
  const points = i.points.map((p) => ({ ...p, layer: 'point' }));
  const lines = diagonals(i.points).map((d) => ({ panel: d.panel, series: '', x: d.v, y: d.v, layer: 'diagonal' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chartTitle(i.title, i.subtitle),
    config: CHART_CONFIG,
    data: { values: [...points, ...lines] },
    columns: 2,
    facet: { field: 'panel', type: 'nominal', title: null, sort: [...(i.panels ?? distinct(i.points.map((p) => p.panel)))], header: { labelFontWeight: 'bold' } },
    spec: {
      width: 280,
      height: 260,
      encoding: {
        x: { field: 'x', type: 'quantitative', title: i.xTitle, scale: { zero: false } },
        y: { field: 'y', type: 'quantitative', title: i.yTitle, scale: { zero: false } },
      },
      layer: [
        {
          transform: [{ filter: "datum.layer === 'diagonal'" }],
          mark: { type: 'line', color: '#888', strokeDash: [4, 3], strokeWidth: 1 },
        },
        {
          transform: [{ filter: "datum.layer === 'point'" }],
          mark: { type: 'point', filled: true, size: 28, opacity: 0.8 },
          encoding: {
            color: { field: 'series', type: 'nominal', title: i.seriesTitle, sort: series, scale: { domain: series } },
            shape: { field: 'series', type: 'nominal', sort: series, scale: { domain: series } },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
