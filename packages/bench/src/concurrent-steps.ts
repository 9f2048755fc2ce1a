import { spawn } from 'node:child_process';

/**
 * Runs `copies` processes of the same command at once and gives each one's parsed last
 * stdout line. What N independent one-thread processes get from N cores together is the
 * most any N-thread run of the same kernels can get: two busy cores of a shared virtual
 * machine contend for the last-level cache and the memory bus, so each copy runs slower
 * than it does alone.
 */
export async function runConcurrently<T>(command: string, args: readonly string[], copies: number): Promise<T[]> {
  const one = (): Promise<T> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`${command} ${args.join(' ')} failed: ${(err || out).trim().split('\n').pop()}`));
        else resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      });
    });
  return Promise.all(Array.from({ length: copies }, one));
}
