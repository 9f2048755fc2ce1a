/** Int32 cells of a barrier's shared buffer: arrivals so far, and a failure flag. */
const ARRIVED = 0;
const FAILED = 1;

/** A fresh barrier's shared memory, handed to every worker of a pool. */
export function barrierBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/**
 * A barrier between the `count` workers of a pool, over shared memory: `arrive()` returns
 * once every worker has arrived as often as this one. Workers block in Atomics.wait (never
 * the calling thread). A worker that fails between two barriers calls `fail()`, and every
 * worker waiting or arriving later throws instead of waiting for it forever.
 */
export class WorkerBarrier {
  private readonly cells: Int32Array;
  private passed = 0;

  constructor(buffer: SharedArrayBuffer, private readonly count: number) {
    this.cells = new Int32Array(buffer);
  }

  arrive(): void {
    this.passed++;
    const target = this.passed * this.count;
    if (Atomics.add(this.cells, ARRIVED, 1) + 1 >= target) {
      Atomics.notify(this.cells, ARRIVED);
    } else {
      for (;;) {
        const now = Atomics.load(this.cells, ARRIVED);
        if (now >= target) break;
        if (Atomics.load(this.cells, FAILED) !== 0) break;
        Atomics.wait(this.cells, ARRIVED, now);
      }
    }
    if (Atomics.load(this.cells, FAILED) !== 0) throw new Error('another pool worker failed during the step');
  }

  /** Releases every waiting worker with an error (this one failed and will not arrive). */
  fail(): void {
    Atomics.store(this.cells, FAILED, 1);
    // Moves the count so that a worker about to wait on the old value does not sleep.
    Atomics.add(this.cells, ARRIVED, 1);
    Atomics.notify(this.cells, ARRIVED);
  }
}
