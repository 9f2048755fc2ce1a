import { loadModel, nodeOutputShapes, type GraphModel, type QcbSidecar } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { globalsOf, requireString } from '../options.js';
import type { Command } from './command.js';

export interface InspectReport {
  readonly name: string;
  readonly dir: string;
  readonly inputShape: readonly number[];
  readonly params: { readonly total: number; readonly trainable: number };
  readonly nodes: ReadonlyArray<{
    name: string;
    op: string;
    inputs: readonly string[];
    outputShape: number[];
    params: Record<string, number[]>;
  }>;
  readonly units: ReadonlyArray<{ index: number; head: string; nodes: readonly string[]; input: string; output: string }>;
  readonly sidecar: QcbSidecar | null;
}

export function inspectReport(model: GraphModel, dir: string, sidecar: QcbSidecar | null): InspectReport {
  const shapes = nodeOutputShapes(model);
  return {
    name: model.graph.name,
    dir,
    inputShape: model.inputShape,
    params: model.paramCounts(),
    nodes: model.graph.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      inputs: n.inputs,
      outputShape: shapes.get(n.name) ?? [],
      params: Object.fromEntries(Object.entries(n.params).map(([k, v]) => [k, v.shape])),
    })),
    units: model.units().map((u) => ({ ...u })),
    sidecar,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`).join('');
}

function formatReport(r: InspectReport): string {
  const shape = (s: readonly number[]): string => `[${s.join(', ')}]`;
  let text = `model ${r.name} (${r.dir})\n`;
  text += `input ${shape(r.inputShape)}, ${r.params.total.toLocaleString('en-US')} parameters (${r.params.trainable.toLocaleString('en-US')} trainable)\n\n`;
  text += `nodes (${r.nodes.length}):\n`;
  text += table([
    ['name', 'op', 'inputs', 'output', 'params'],
    ...r.nodes.map((n) => [
      n.name,
      n.op,
      n.inputs.join(', ') || '-',
      shape(n.outputShape),
      Object.entries(n.params).map(([k, s]) => `${k}${shape(s)}`).join(' ') || '-',
    ]),
  ]);
  text += `\ncalibration units (${r.units.length}):\n`;
  text += table([
    ['#', 'head', 'chain', 'input'],
    ...r.units.map((u) => [String(u.index), u.head, u.nodes.slice(1).join(' > ') || '-', u.input]),
  ]);
  text += `\nqcb.json: ${r.sidecar ? JSON.stringify(r.sidecar) : 'none'}\n`;
  return text;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'load a model folder safely and print its graph, calibration units and metadata',
  usage: 'qcb inspect --model <dir> [--json] [--backend auto|tensorflow|wasm|cpu]',
  options: { model: { type: 'string' }, json: { type: 'boolean', default: false } },
  async run(args, io) {
    const globals = globalsOf(args);
    const dir = requireString(args, 'model');
    await createEngine(globals, io.cwd);
    await selectBackend(globals);
    const { model, sidecar, dir: abs } = await loadModel(dir);
    try {
      const report = inspectReport(model, abs, sidecar);
      io.out(args.values['json'] ? `${JSON.stringify(report)}\n` : formatReport(report));
    } finally {
      model.dispose();
    }
    return 0;
  },
};
