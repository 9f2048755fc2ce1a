import { main, type CliIO } from '@qcb/cli';

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
