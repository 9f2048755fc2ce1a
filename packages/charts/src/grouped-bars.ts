import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, chartTitle } from './theme.js';

/** One bar: `group` is the category (a unit), `series` the bar within it (before, after). */
export interface GroupedBar {
  readonly group: string;
  readonly series: string;
  readonly value: number;
}

export interface GroupedBarsInput {
  readonly title: string;
  /** One line, or several. */
  readonly subtitle?: string | readonly string[];
  /** The value axis. */
  readonly valueTitle: string;
  /** The category axis. */
  readonly groupTitle: string;
  readonly seriesTitle: string;
  readonly bars: readonly GroupedBar[];
  /** Categories top to bottom (default: as they come). */
  readonly groups?: readonly string[];
  readonly series?: readonly string[];
}

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/** Horizontal grouped bars, one group per category (unit names are long: they read better on the side). */
export function groupedBarsSpec(i: GroupedBarsInput): TopLevelSpec {
  const series = [...(i.series ?? distinct(i.bars.map((b) => b.series)))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chartTitle(i.title, i.subtitle),
    config: CHART_CONFIG,
    data: { values: i.bars.map((b) => ({ ...b })) },
    width: 420,
    height: { step: 8 * Math.max(1, series.length) + 6 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'group', type: 'nominal', title: i.groupTitle, axis: { labelLimit: 320 }, sort: [...(i.groups ?? distinct(i.bars.map((b) => b.group)))] },
      yOffset: { field: 'series', type: 'nominal', sort: series },
      x: { field: 'value', type: 'quantitative', title: i.valueTitle },
      color: { field: 'series', type: 'nominal', title: i.seriesTitle, sort: series },
    },
  };
}
