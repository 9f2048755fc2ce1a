import { Worker } from 'node:worker_threads';

/*
 * Preloaded (node --import) into each cell's process by the grid. The grid may die without a
 * chance to stop its children (SIGKILL, the OOM killer); a cell left running would burn a core
 * and write into the folder that the resumed grid gives the same cell again. A worker thread
 * watches the parent's pid, so this works even while the main thread is busy in a long
 * synchronous kernel, and it is unref'd so that it never keeps the process alive.
 */
const expected = Number(process.env['QCB_GRID_PARENT_PID']);
if (Number.isInteger(expected) && expected > 0) {
  if (process.ppid !== expected) process.kill(process.pid, 'SIGTERM');
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData.parent) process.kill(workerData.pid, 'SIGTERM'); }, 250);`,
    { eval: true, workerData: { parent: expected, pid: process.pid } },
  );
  watcher.unref();
}
