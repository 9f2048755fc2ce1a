/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readonly cwd: string;
  /** Whether stderr is a terminal (progress bars draw only there). */
  readonly interactive: boolean;
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    interactive: Boolean(process.stderr.isTTY),
  };
}
