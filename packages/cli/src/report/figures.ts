import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { defenseLabel, type ChannelMoments, type NeuronRef } from '@qcb/core';
import { facetedLinesSpec, groupedBarsSpec, renderFigure, statScatterSpec, type CurvePoint, type StatPoint, type TopLevelSpec } from '@qcb/charts';
import type { ModelAnalysis, NeuronFigureData } from './analysis.js';
import type { PdaStatistics } from './pda-statistics.js';

/** A figure written as `<name>.svg` and `<name>.png` in the report's folder. */
export interface WrittenFigure {
  readonly name: string;
  readonly heading: string;
  readonly caption: string;
}

const neuronText = (n: NeuronRef): string => `${n.node} channel ${n.channel}`;
const fixed = (v: number, digits = 3): string => v.toFixed(digits);

function neuronSpec(a: ModelAnalysis, d: NeuronFigureData): TopLevelSpec {
  const role = ['Backdoor neuron', 'Benign neuron'];
  const points: CurvePoint[] = d.histograms.flatMap((h) => {
    const width = (h.hi - h.lo) / h.fractions.length;
    const series = h.model === 'quantized' ? `quantized (${a.profile})` : 'full precision';
    return Array.from(h.fractions, (y, b) => ({ panel: `${role[h.neuron]}, ${h.images} images`, series, x: h.lo + (b + 0.5) * width, y }));
  });
  return facetedLinesSpec({
    title: 'Pre-activations of a backdoor and a benign neuron',
    subtitle: [
      `${a.model}: full precision vs quantized with ${a.profile}, on clean and on triggered images`,
      `Backdoor neuron: ${neuronText(d.backdoor)}, highest importance tau = ${fixed(d.backdoor.importance)} (KL ${fixed(d.backdoor.kl)})`,
      `Benign neuron: ${neuronText(d.benign)}, lowest importance tau = ${fixed(d.benign.importance)} (KL ${fixed(d.benign.kl)})`,
    ],
    xTitle: 'pre-activation (output before the activation)',
    yTitle: 'share of values per bin',
    seriesTitle: 'model',
    points,
    panels: role.flatMap((r) => [`${r}, clean images`, `${r}, triggered images`]),
  });
}

function driftSpec(a: ModelAnalysis): TopLevelSpec {
  const after = a.drift.after ?? [];
  const defended = `purified (${basename(a.drift.defenseModel ?? '')})`;
  const bars = [
    ...a.drift.before.map((u) => ({ group: u.unit, series: 'quantized, no defense', value: u.meanKl })),
    ...after.map((u) => ({ group: u.unit, series: defended, value: u.meanKl })),
  ];
  return groupedBarsSpec({
    title: 'Activation drift per unit, before and after the defense',
    subtitle: [
      `${a.model} under ${a.profile}, ${a.images} defender images:`,
      "mean over each unit's neurons of KL(full precision || quantized) of their pre-activations",
    ],
    valueTitle: 'mean KL per neuron (nats)',
    groupTitle: 'unit (its conv or dense node)',
    seriesTitle: 'model',
    bars,
    groups: [...a.drift.before].sort((x, y) => x.index - y.index).map((u) => u.unit),
    series: ['quantized, no defense', defended],
  });
}

const meanGap = (m: ChannelMoments, ref: ChannelMoments, key: keyof ChannelMoments): number =>
  m[key].reduce((s, v, k) => s + Math.abs(v - ref[key][k]), 0) / m[key].length;

function pdaSpec(a: ModelAnalysis, p: PdaStatistics): TopLevelSpec {
  const panels = { mean: 'mean (x: running mean)', std: 'standard deviation (x: sqrt(running var))' } as const;
  const points: StatPoint[] = (['mean', 'std'] as const).flatMap((key) => (['before', 'after'] as const).flatMap((when) =>
    Array.from(p[when][key], (y, k) => ({ panel: panels[key], series: `${when} PDA`, x: p.running[key][k], y }))));
  return statScatterSpec({
    title: `PDA and the BN input statistics of unit ${p.unit}`,
    subtitle: [
      `${a.model} under ${a.profile}, one point per channel of ${p.bn}:`,
      "y: batch statistic of its input on the defender's clean images (quantized path, as LAC caches it)",
      "x: the BN's running statistic; on the dashed line the two are equal",
    ],
    xTitle: 'BN running statistic',
    yTitle: 'batch statistic of the BN input',
    seriesTitle: 'unit input',
    points,
    panels: [panels.mean, panels.std],
    series: ['before PDA', 'after PDA'],
  });
}

async function write(dir: string, name: string, spec: TopLevelSpec): Promise<void> {
  const { svg, png } = await renderFigure(spec);
  await writeFile(join(dir, `${name}.svg`), svg);
  await writeFile(join(dir, `${name}.png`), png);
}

/** Renders the figures the analysis has data for into `dir`; a note for each one it has not. */
export async function writeFigures(dir: string, a: ModelAnalysis, driftNote: string): Promise<{ figures: WrittenFigure[]; skipped: string[] }> {
  const figures: WrittenFigure[] = [];
  const skipped: string[] = [];
  if (a.neurons) {
    const d = a.neurons;
    await write(dir, 'neuron-histograms', neuronSpec(a, d));
    figures.push({
      name: 'neuron-histograms',
      heading: 'Pre-activations of a backdoor and a benign neuron (Figure 1)',
      caption: `${a.model} under ${a.profile}: ${neuronText(d.backdoor)} (the highest Definition 3.1 importance among ${d.hiddenOnly ? 'the hidden neurons' : 'all neurons, the classifier\'s included'}, on the quantized model, ${d.triggeredImages} defender images triggered and labelled ${d.target}) and ${neuronText(d.benign)} (the lowest), in full precision and quantized, on ${d.cleanImages} clean and ${d.triggeredImages} triggered images; each neuron's curves share 64 bins over the union of their ranges.`,
    });
  } else {
    skipped.push(`Figure 1 (neuron histograms): ${a.model}'s qcb.json names no trigger and target, so no neuron's importance can be measured.`);
  }
  if (a.drift.after) {
    await write(dir, 'unit-drift', driftSpec(a));
    const other = a.drift.defenseProfile ? ` (the purified folder was quantized with ${a.drift.defenseProfile})` : '';
    figures.push({
      name: 'unit-drift',
      heading: 'Activation drift per unit, before and after the defense',
      caption: `Mean KL(full precision || quantized) over each unit's neurons: ${a.model} quantized with ${a.profile} without defense, and the purified model ${a.drift.defenseModel}${other}, both against the full-precision model on ${a.images} defender images.`,
    });
  } else {
    skipped.push(driftNote);
  }
  if (a.pda) {
    const p = a.pda;
    await write(dir, 'pda-bn-statistics', pdaSpec(a, p));
    figures.push({
      name: 'pda-bn-statistics',
      heading: `PDA and the BN input statistics of ${p.unit} (Figure 3)`,
      caption: `Per channel of ${p.bn}: the batch mean and standard deviation of its input on ${a.images} clean defender images before and after PDA (${defenseLabel('pda')} fast preset: ${p.options.steps} steps, radius ${p.options.gamma.toPrecision(3)}), against the running mean and sqrt(running var). Mean distance to the running statistics: mean ${fixed(meanGap(p.before, p.running, 'mean'), 4)} -> ${fixed(meanGap(p.after, p.running, 'mean'), 4)}, std ${fixed(meanGap(p.before, p.running, 'std'), 4)} -> ${fixed(meanGap(p.after, p.running, 'std'), 4)}.`,
    });
  } else {
    skipped.push(`Figure 3 (PDA): no unit of ${a.model} keeps a BN under ${a.profile} (the profile folds BN), so PDA has nothing to match.`);
  }
  return { figures, skipped };
}
