import { nodeOutputShapes, type Conv2DAttrs, type GraphModel } from '@qcb/core';

export interface ConvShape {
  readonly node: string;
  readonly input: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
  readonly output: readonly number[];
}

/** Every conv2d of a model with its input, kernel and output shapes (no batch axis). */
export function convShapes(model: GraphModel): ConvShape[] {
  const shapes = nodeOutputShapes(model);
  return model.graph.nodes
    .filter((n) => n.op === 'conv2d')
    .map((n) => {
      const a = n.attrs as Conv2DAttrs;
      return {
        node: n.name,
        input: shapes.get(n.inputs[0])!,
        kernel: n.params['kernel'].shape,
        strides: [a.strides[0], a.strides[1]] as const,
        padding: a.padding,
        output: shapes.get(n.name)!,
      };
    });
}

/** Multiply-adds of one conv on one sample, times two. */
export function convFlops(c: ConvShape): number {
  const [oh, ow, cout] = c.output;
  const [kh, kw, cin] = c.kernel;
  return 2 * oh * ow * kh * kw * cin * cout;
}

/** Forward FLOPs of a model per sample: its convs and dense layers. */
export function forwardFlopsPerSample(model: GraphModel): number {
  let flops = convShapes(model).reduce((s, c) => s + convFlops(c), 0);
  for (const n of model.graph.nodes) {
    if (n.op === 'dense') flops += 2 * n.params['kernel'].size;
  }
  return flops;
}
