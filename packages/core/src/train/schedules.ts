/** Learning rate at a training progress `t` in [0, 1). */
export type LrSchedule = (t: number) => number;

export type ScheduleSpec =
  | { readonly type: 'constant'; readonly lr: number }
  | { readonly type: 'cosine'; readonly lr: number; readonly minLr?: number }
  /** Multiplies by `gamma` at each milestone (fractions of training, e.g. 20/35). */
  | { readonly type: 'step'; readonly lr: number; readonly milestones: readonly number[]; readonly gamma?: number };

export function lrSchedule(spec: ScheduleSpec): LrSchedule {
  switch (spec.type) {
    case 'constant':
      return () => spec.lr;
    case 'cosine': {
      const min = spec.minLr ?? 0;
      return (t) => min + ((spec.lr - min) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case 'step':
      return (t) => spec.lr * (spec.gamma ?? 0.1) ** spec.milestones.filter((m) => t >= m).length;
  }
}
