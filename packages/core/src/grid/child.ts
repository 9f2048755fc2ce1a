import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The preload that ends a cell's process when the grid goes away (the built file: node loads it, not the test runner). */
export const EXIT_WITH_PARENT = fileURLToPath(new URL('../../dist/grid/exit-with-parent.js', import.meta.url));

export interface ChildRun {
  /** A Node.js script and its arguments, run with `process.execPath`. */
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Kills the process (SIGTERM). */
  readonly signal?: AbortSignal;
  /** Each line the process writes on stderr, as it comes. */
  readonly onStderrLine?: (line: string) => void;
}

/** How a failed run is named: the CLI's own one-line error when it printed one. */
function failure(code: number | null, sig: NodeJS.Signals | null, stderrTail: readonly string[]): Error {
  const cli = [...stderrTail].reverse().find((l) => l.startsWith('qcb: error: '));
  if (cli !== undefined) return new Error(cli.slice('qcb: error: '.length));
  const how = sig !== null ? `killed by ${sig}` : `exited with code ${code}`;
  const last = stderrTail.filter((l) => l.trim() !== '').at(-1);
  return new Error(last === undefined ? how : `${how}: ${last}`);
}

/**
 * Runs a Node.js script in a child process that dies with this one, and resolves with the
 * JSON of the last line it printed on stdout once it exits with 0.
 */
export function runJsonChild(r: ChildRun): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (r.signal?.aborted) {
      reject(new Error('stopped before it started'));
      return;
    }
    const child = spawn(process.execPath, ['--import', pathToFileURL(EXIT_WITH_PARENT).href, r.script, ...r.args], {
      cwd: r.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QCB_GRID_PARENT_PID: String(process.pid) },
    });
    const kill = (): void => void child.kill('SIGTERM');
    r.signal?.addEventListener('abort', kill, { once: true });
    let stdout = '';
    let partial = '';
    const tail: string[] = [];
    const line = (l: string): void => {
      tail.push(l);
      if (tail.length > 20) tail.shift();
      r.onStderrLine?.(l);
    };
    child.stdout.setEncoding('utf8').on('data', (t: string) => void (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      const lines = (partial + t).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      lines.forEach(line);
    });
    child.on('error', (e) => {
      r.signal?.removeEventListener('abort', kill);
      reject(e);
    });
    child.on('close', (code, sig) => {
      r.signal?.removeEventListener('abort', kill);
      if (partial !== '') line(partial);
      if (code !== 0) {
        reject(failure(code, sig, tail));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as unknown);
      } catch {
        reject(new Error(`printed no JSON result (stdout ended with ${JSON.stringify(last.slice(-200))})`));
      }
    });
  });
}
