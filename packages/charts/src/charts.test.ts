import { describe, expect, it } from 'vitest';
import { facetedLinesSpec } from './faceted-lines.js';
import { groupedBarsSpec } from './grouped-bars.js';
import { renderSvg, svgToPng } from './render.js';
import { statScatterSpec } from './stat-scatter.js';

/** Every text element's content: titles, axis titles and labels, legend entries, headers. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

const histogram = facetedLinesSpec({
  title: 'Pre-activations of two neurons', subtitle: 'a model under a profile', xTitle: 'pre-activation value', yTitle: 'share of values', seriesTitle: 'model',
  points: ['backdoor: clean', 'backdoor: triggered', 'benign: clean', 'benign: triggered'].flatMap((panel) =>
    ['full precision', 'quantized'].flatMap((series) => [0, 1, 2, 3].map((b) => ({ panel, series, x: b, y: (b + 1) / 10 })))),
});
const bars = groupedBarsSpec({
  title: 'Drift per unit', valueTitle: 'mean KL (nats)', groupTitle: 'unit', seriesTitle: 'model',
  bars: ['stem_conv', 'logits'].flatMap((group, i) => [{ group, series: 'quantized, no defense', value: 0.2 + i }, { group, series: 'LAC + PDA', value: 0.1 }]),
});
const scatter = statScatterSpec({
  title: 'BN input statistics', xTitle: 'running statistic', yTitle: 'batch statistic', seriesTitle: 'BN input',
  points: ['mean', 'std'].flatMap((panel) => [0, 1, 2].flatMap((k) => [
    { panel, series: 'before PDA', x: k, y: k + 0.5 }, { panel, series: 'after PDA', x: k, y: k + 0.1 },
  ])),
});

describe('chart specs render to SVG', () => {
  it('histogram panels: title, axis titles, a header per panel, a legend entry per series', async () => {
    const t = texts(await renderSvg(histogram));
    expect(t).toEqual(expect.arrayContaining([
      'Pre-activations of two neurons', 'a model under a profile', 'pre-activation value', 'share of values',
      'backdoor: clean', 'backdoor: triggered', 'benign: clean', 'benign: triggered', 'model', 'full precision', 'quantized',
    ]));
    // Each of the four panels has its own axes.
    expect(t.filter((s) => s === 'share of values')).toHaveLength(4);
  });

  it('grouped bars: the value and unit axes, a bar label per unit, a legend entry per series', async () => {
    const svg = await renderSvg(bars);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Drift per unit', 'mean KL (nats)', 'unit', 'stem_conv', 'logits', 'model', 'quantized, no defense', 'LAC + PDA']));
    expect(svg.match(/role-mark/g)?.length).toBeGreaterThan(0);
  });

  it('stat scatter: both panels, axis titles, the before / after legend', async () => {
    const t = texts(await renderSvg(scatter));
    expect(t).toEqual(expect.arrayContaining(['BN input statistics', 'running statistic', 'batch statistic', 'mean', 'std', 'BN input', 'before PDA', 'after PDA']));
    // The y = x line has no legend entry.
    expect(t).not.toContain('diagonal');
  });
});

describe('svgToPng', () => {
  it('rasterises with the bundled font into a valid PNG', async () => {
    const png = svgToPng(await renderSvg(bars));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    // Width and height from the IHDR chunk: twice the SVG's size by default.
    expect(png.readUInt32BE(16)).toBeGreaterThan(400);
    expect(png.readUInt32BE(20)).toBeGreaterThan(200);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('draws text: the same chart without its titles makes a smaller picture', async () => {
    const svg = await renderSvg(bars);
    const withText = svgToPng(svg);
    const withoutText = svgToPng(svg.replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(withText.length).toBeGreaterThan(withoutText.length + 2_000);
  });
});
