import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('channel-sums-module.ts', () => {
  it('embeds the compile of channel-sums.wat', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    // Exits non-zero, naming the stale module, when an embedded module differs from its source.
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
