import { main, type CliIO } from '@qcb/cli';
import { expect } from 'vitest';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the qcb CLI in-process with captured output. */
export async function runCli(argv: string[], cwd = process.cwd()): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), cwd, interactive: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A refusal: a non-zero exit and exactly one `qcb: error:` line matching `pattern`, no stack trace. */
export function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^qcb: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
