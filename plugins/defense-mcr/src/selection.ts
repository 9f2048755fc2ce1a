import {
  GraphModel, QcbError, accuracy, cloneGraph, predictClasses, seededPermutation, subset,
  type ImageSet, type Normalization,
} from '@qcb/core';
import type { BezierCurve } from './bezier.js';
import { recomputeBnStatistics } from './bn-statistics.js';

/** The defender's share split into the part the defense trains on and the part that picks among candidates. */
export interface ShareSplit {
  readonly train: ImageSet;
  readonly held: ImageSet | null;
}

/** Holds out round(fraction x count) images (at least 1, leaving at least 1), chosen by a seeded permutation. */
export function splitShare(data: ImageSet, fraction: number, seed: number): ShareSplit {
  if (data.count < 2) throw new QcbError('E_USAGE', `mcr: choosing among candidates needs at least 2 images in the defender's share, got ${data.count}`);
  const order = seededPermutation(data.count, seed * 7_919 + 17);
  const held = Math.min(data.count - 1, Math.max(1, Math.round(fraction * data.count)));
  const sorted = (a: Int32Array): Int32Array => a.slice().sort();
  return { train: subset(data, sorted(order.subarray(held))), held: subset(data, sorted(order.subarray(0, held))) };
}

/** What building a point of the curve needs. */
export interface PointSetup {
  readonly curve: BezierCurve;
  /** A model of the curve's graph: the point starts as its copy. */
  readonly template: GraphModel;
  /** The images its BN statistics are recomputed on. */
  readonly data: ImageSet;
  readonly normalization: Normalization;
  readonly batchSize: number;
}

/** A new model at phi(t) with its BN statistics recomputed at t on the data. */
export function curvePointModel(s: PointSetup, t: number): GraphModel {
  const model = new GraphModel(cloneGraph(s.template.graph));
  s.curve.assign(model, t);
  recomputeBnStatistics(model, s.data, s.normalization, s.batchSize);
  return model;
}

/** The candidate with the highest score (the first of equals). */
export function bestCandidate(scores: ReadonlyArray<{ readonly t: number; readonly score: number }>): number {
  let best = scores[0];
  for (const s of scores) if (s.score > best.score) best = s;
  return best.t;
}

/** The model at t (BN recomputed) and its accuracy on the held-out images. */
function scoredPoint(s: PointSetup, t: number, held: ImageSet): { t: number; score: number; model: GraphModel } {
  const model = curvePointModel(s, t);
  try {
    return { t, model, score: accuracy(predictClasses((x) => model.predict(x), held, { normalization: s.normalization }), held.labels) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The point of the curve to return: `points[0]` alone, or among several the one whose model
 * (BN recomputed) is most accurate on the held-out images (the defender has no trigger to
 * measure the backdoor with). Reports each candidate's accuracy through `report`.
 */
export function chooseCurvePoint(s: PointSetup, points: readonly number[], held: ImageSet | null, report: (done: number, line: string) => void): GraphModel {
  if (points.length === 1 || !held) return curvePointModel(s, points[0]);
  const scores: Array<{ t: number; score: number }> = [];
  let best: { t: number; score: number; model: GraphModel } | null = null;
  try {
    for (const t of points) {
      const next = scoredPoint(s, t, held);
      scores.push({ t, score: next.score });
      report(scores.length, `t ${t}: held-out accuracy ${(100 * next.score).toFixed(2)}%`);
      // Strictly better only: the first of equals stays (bestCandidate's rule).
      if (!best || next.score > best.score) {
        best?.model.dispose();
        best = next;
      } else {
        next.model.dispose();
      }
    }
  } catch (e) {
    best?.model.dispose();
    throw e;
  }
  report(scores.length, `chose t ${bestCandidate(scores)}`);
  return best!.model;
}
