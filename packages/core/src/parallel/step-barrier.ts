/** Int32 cells of a barrier's shared buffer: arrivals so far, and a failure flag. */
const ARRIVED = 0;
const FAILED = 1;

/** Atomics.waitAsync (Node 16+), which the ES2022 typings lack. */
type WaitAsync = (cells: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };

/** A fresh barrier's shared memory, handed to every participant. */
export function barrierBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/**
 * A barrier between the `count` participants of a data-parallel step (the calling thread
 * and its pool's workers), over shared memory: an arrival returns once every participant
 * has arrived as often as this one. Workers block in Atomics.wait; the calling thread awaits
 * Atomics.waitAsync, so that its event loop still hears a worker that stops. A participant
 * that fails between two barriers calls `fail()`, and every one waiting or arriving later
 * throws instead of waiting for it forever.
 */
export class StepBarrier {
  private readonly cells: Int32Array;
  private passed = 0;

  constructor(buffer: SharedArrayBuffer, private readonly count: number) {
    this.cells = new Int32Array(buffer);
  }

  /** Blocks until every participant has arrived (a worker thread). */
  arrive(): void {
    const target = this.announce();
    for (;;) {
      const now = Atomics.load(this.cells, ARRIVED);
      if (now >= target || Atomics.load(this.cells, FAILED) !== 0) break;
      Atomics.wait(this.cells, ARRIVED, now);
    }
    this.check();
  }

  /** Resolves once every participant has arrived (the calling thread). */
  async arriveAsync(): Promise<void> {
    const target = this.announce();
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    for (;;) {
      const now = Atomics.load(this.cells, ARRIVED);
      if (now >= target || Atomics.load(this.cells, FAILED) !== 0) break;
      const waited = waitAsync(this.cells, ARRIVED, now);
      if (waited.async) await waited.value;
    }
    this.check();
  }

  /**
   * Zeroes the arrivals of a barrier that no participant is inside (between two calls of a
   * pool), so that the next call's participants, however many, start counting afresh.
   */
  static restart(buffer: SharedArrayBuffer): void {
    Atomics.store(new Int32Array(buffer), ARRIVED, 0);
  }

  /** Releases every waiting participant with an error (this one failed and will not arrive). */
  fail(): void {
    Atomics.store(this.cells, FAILED, 1);
    // Moves the count so that a participant about to wait on the old value does not sleep.
    Atomics.add(this.cells, ARRIVED, 1);
    Atomics.notify(this.cells, ARRIVED);
  }

  /** Counts this arrival, wakes the others when it is the last; the count that releases this one. */
  private announce(): number {
    this.passed++;
    const target = this.passed * this.count;
    if (Atomics.add(this.cells, ARRIVED, 1) + 1 >= target) Atomics.notify(this.cells, ARRIVED);
    return target;
  }

  private check(): void {
    if (Atomics.load(this.cells, FAILED) !== 0) throw new Error('another participant of the data-parallel step failed');
  }
}
