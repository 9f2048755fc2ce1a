import { readdirSync, readFileSync } from 'node:fs';

/** Seconds of CPU per thread of this process, by thread id (the pool's workers are threads of it). */
export function threadCpuSeconds() {
  const times = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      times.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9);
    } catch {
      // the thread ended
    }
  }
  return times;
}
