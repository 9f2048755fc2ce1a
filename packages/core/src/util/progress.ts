/** A progress display for long loops: a redrawn bar on a terminal, sparse lines otherwise. */
export interface Progress {
  update(done: number, info?: string): void;
  finish(info?: string): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  readonly write: (text: string) => void;
  /**
   * Redraw one line in place (a TTY); otherwise print a line every 10%, and after a minute
   * without one (a slow loop's log shows it is alive, with its eta).
   */
  readonly interactive: boolean;
  readonly width?: number;
  readonly now?: () => number;
  /**
   * Items done before this bar started (a loop resumed part-way): they count towards the
   * bar, not towards the rate the eta is measured from.
   */
  readonly startAt?: number;
}

/** Longest a non-interactive bar stays silent while its loop moves. */
const QUIET_SECONDS = 60;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressBar(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now() / 1000);
  const width = options.width ?? 24;
  const start = now();
  const startAt = options.startAt ?? 0;
  let lastDraw = -Infinity;
  let lastDecile = 0;
  let lastLine = start;
  let lastDone = 0;

  const line = (done: number, info: string | undefined, final: boolean): string => {
    const frac = options.total > 0 ? Math.min(1, done / options.total) : 1;
    const filled = Math.round(frac * width);
    const elapsed = now() - start;
    const ran = done - startAt;
    const timing = final ? formatDuration(elapsed) : `eta ${formatDuration(ran > 0 ? (elapsed / ran) * (options.total - done) : NaN)}`;
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    return `${options.label} ${bar} ${done}/${options.total} ${timing}${info ? `  ${info}` : ''}`;
  };

  return {
    update(done, info) {
      if (options.interactive) {
        const t = now();
        if (t - lastDraw < 0.1 && done < options.total) return;
        lastDraw = t;
        options.write(`\r${line(done, info, false)}\x1b[K`);
        return;
      }
      // A resumed loop's first item was not timed by this bar: a line now could only say "eta 0s".
      if (done <= startAt) return;
      const decile = Math.floor((10 * done) / Math.max(1, options.total));
      const t = now();
      const quiet = t - lastLine >= QUIET_SECONDS && done > lastDone && done < options.total;
      if ((decile > lastDecile && decile < 10) || quiet) {
        lastDecile = Math.max(lastDecile, decile);
        lastLine = t;
        lastDone = done;
        options.write(`${line(done, info, false)}\n`);
      }
    },
    finish(info) {
      options.write(`${options.interactive ? '\r' : ''}${line(options.total, info, true)}${options.interactive ? '\x1b[K' : ''}\n`);
    },
  };
}
