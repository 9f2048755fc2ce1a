import type { Config } from 'vega-lite';
import { FONT_FAMILY } from './render.js';

/** Shared look: the bundled font, readable sizes, a white background. */
export const CHART_CONFIG: Config = {
  font: `${FONT_FAMILY}, sans-serif`,
  background: 'white',
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start', offset: 12 },
  axis: { titleFontSize: 12, labelFontSize: 11, titleFontWeight: 'normal' },
  legend: { titleFontSize: 12, labelFontSize: 11, titleFontWeight: 'normal', orient: 'bottom', direction: 'horizontal', labelLimit: 0, columns: 4 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ccc' },
};

/** A title with an optional second line. */
export function chartTitle(text: string, subtitle?: string | readonly string[]): { text: string; subtitle?: string | string[] } {
  if (subtitle === undefined) return { text };
  return { text, subtitle: typeof subtitle === 'string' ? subtitle : [...subtitle] };
}
