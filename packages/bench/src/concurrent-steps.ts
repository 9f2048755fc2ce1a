import { spawn } from 'node:child_process';

/**
 * Runs `copies` processes of the same command at once and gives each one's last stdout line,
 * parsed as JSON; a process that fails rejects with its last line of output. One copy is how
 * the bench runs each timing in a process of its own; N one-thread copies show what the
 * machine gives independent work on N cores (two busy cores of a shared virtual machine
 * contend for the last-level cache and the memory bus, so each copy runs slower than alone).
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
