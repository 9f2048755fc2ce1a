import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const require = createRequire(import.meta.url);

/** The font every figure is drawn in, shipped by an npm package so that a bare machine renders text. */
export const FONT_FAMILY = 'DejaVu Sans';

/** DejaVu Sans and its bold face, from the `dejavu-fonts-ttf` package. */
export function fontFiles(): string[] {
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
}

/** Compiles a vega-lite spec and renders it headless (no canvas) to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixels per SVG unit (default 2: sharp on high-density screens). */
  readonly scale?: number;
}

/** Rasterises an SVG with resvg, with the bundled font and no system fonts (the same picture on every machine). */
export function svgToPng(svg: string, o: PngOptions = {}): Buffer {
  const resvg = new Resvg(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: o.scale ?? 2 },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** The rendered figure in both formats. */
export async function renderFigure(spec: TopLevelSpec, o: PngOptions = {}): Promise<{ svg: string; png: Buffer }> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg, o) };
}
