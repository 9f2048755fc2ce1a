import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, chartTitle } from './theme.js';

/** One point of a curve: `series` names the curve, `panel` the small multiple it is drawn in. */
export interface CurvePoint {
  readonly panel: string;
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

export interface FacetedLinesInput {
  readonly title: string;
  /** One line, or several. */
  readonly subtitle?: string | readonly string[];
  readonly xTitle: string;
  readonly yTitle: string;
  /** The legend's title. */
  readonly seriesTitle: string;
  readonly points: readonly CurvePoint[];
  /** Panels in reading order (default: as they come). */
  readonly panels?: readonly string[];
  readonly series?: readonly string[];
  /** Panels per row (default 2). */
  readonly columns?: number;
  /** 'step' for histograms (default), 'linear' for curves. */
  readonly interpolate?: 'step' | 'linear';
}

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * Small multiples of curves, each panel with its own axes (ranges differ per panel), one
 * colour per series and one legend: Figure 1's histograms of pre-activations.
 */
export function facetedLinesSpec(i: FacetedLinesInput): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chartTitle(i.title, i.subtitle),
    config: CHART_CONFIG,
    data: { values: i.points.map((p) => ({ ...p })) },
    columns: i.columns ?? 2,
    facet: { field: 'panel', type: 'nominal', title: null, sort: [...(i.panels ?? distinct(i.points.map((p) => p.panel)))], header: { labelFontWeight: 'bold' } },
    spec: {
      width: 300,
      height: 170,
      mark: { type: 'line', interpolate: i.interpolate ?? 'step', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: i.xTitle, scale: { zero: false, nice: false } },
        y: { field: 'y', type: 'quantitative', title: i.yTitle },
        color: { field: 'series', type: 'nominal', title: i.seriesTitle, sort: [...(i.series ?? distinct(i.points.map((p) => p.series)))] },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
