export { FONT_FAMILY, fontFiles, renderSvg, svgToPng, renderFigure, type PngOptions } from './render.js';
export { CHART_CONFIG } from './theme.js';
export { facetedLinesSpec, type CurvePoint, type FacetedLinesInput } from './faceted-lines.js';
export { groupedBarsSpec, type GroupedBar, type GroupedBarsInput } from './grouped-bars.js';
export { statScatterSpec, type StatPoint, type StatScatterInput } from './stat-scatter.js';
export type { TopLevelSpec } from 'vega-lite';
