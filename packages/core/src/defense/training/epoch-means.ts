import type { TrainingEpochReport } from './spec.js';

/** Running means of the loss and of each named term over an epoch's steps. */
export class EpochMeans {
  private steps = 0;
  private loss = 0;
  private readonly terms = new Map<string, number>();

  add(loss: number, terms: Readonly<Record<string, number>>): void {
    this.steps++;
    this.loss += loss;
    for (const [name, value] of Object.entries(terms)) this.terms.set(name, (this.terms.get(name) ?? 0) + value);
  }

  report(phase: string, epoch: number): TrainingEpochReport {
    const n = Math.max(1, this.steps);
    return { phase, epoch, loss: this.loss / n, terms: Object.fromEntries([...this.terms].map(([k, v]) => [k, v / n])) };
  }
}
