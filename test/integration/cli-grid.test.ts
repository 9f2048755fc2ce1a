import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const root = resolve(__dirname, '../..');
const version = (JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
let dir: string;

/** Tiny settings: each cell is a few seconds of LAC on the synthetic model. */
const spec = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  models: ['pq'], quantizers: ['academic-w4a4'], defenses: ['lac', 'lac+pda'], seeds: [0, 1], samples: 32, options: { iterations: 5 }, ...over,
});
const writeSpec = async (name: string, content: unknown): Promise<string> => {
  await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return name;
};
const grid = (args: string[]) => runCli(['grid', ...args], dir);
type Row = Record<string, unknown> & { label: string; status: string; finishedAt: string; defended: { ba: number; asr: number | null; n: number } };
const rows = (stdout: string): Row[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-grid-'));
  const r = await runCli(['attack', 'pqbackdoor', '--data', 'synthetic', '--bits', '4', '--trigger', 'patch:2@3,3,value=0', '--epochs', '1', '--option', 'finetuneEpochs=1', '--option', 'batchSize=32', '--option', 'stage1Lr=0.05', '--out', join(dir, 'pq')]);
  expect(r.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('qcb grid', () => {
  it('refuses a bad spec or flag with a one-line error naming it, before running anything', async () => {
    const cases: [unknown, RegExp][] = [
      ['{ "models": ', /^qcb: error: bad\.json: not JSON \(/],
      [spec({ seeds: [0, 'one'] }), /^qcb: error: bad\.json: seeds\[1\] must be an integer >= 0, got "one"\n$/],
      [spec({ defenses: ['lac', 'nope+pda'] }), /^qcb: error: bad\.json: defenses\[1\]: unknown defense "nope" \(available: lac, ft, ft-sam, nad, fine-pruning, mcr, ibau, efrap\)\n$/],
      [spec({ defenses: ['lac+mixup'] }), /^qcb: error: bad\.json: defenses\[0\]: unknown augmentation "mixup" \(available: pda, equalize\)\n$/],
      [spec({ defenses: [{ defense: 'lac', options: { itrations: 5 } }] }), /^qcb: error: bad\.json: defenses\[0\]: unknown option "itrations" \(options: /],
      [spec({ quantizers: ['academic-w3a3'] }), /^qcb: error: bad\.json: quantizers\[0\]: unknown quantizer "academic-w3a3"/],
      [spec({ models: ['pq', 'missing'] }), /^qcb: error: bad\.json: models\[1\] names no model folder: "missing" has no model\.json/],
    ];
    for (const [content, message] of cases) {
      await writeSpec('bad.json', content);
      const r = await grid(['--spec', 'bad.json', '--db', 'bad.db']);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    }
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
    expect((await grid(['--spec', 'nothing.json', '--db', 'bad.db'])).stderr).toMatch(/^qcb: error: --spec nothing\.json: cannot read it \(ENOENT\)/);
    await writeSpec('good.json', spec());
    expect((await grid(['--spec', 'good.json', '--db', 'bad.db', '--lanes', '0'])).stderr).toMatch(/^qcb: error: --lanes must be an integer >= 1, got "0"/);
    expect((await grid(['--spec', 'good.json'])).stderr).toMatch(/^qcb: error: --db is required/);
  });

  it('ships grids/table1.json: the four 4-bit QCB fixtures x LAC, LAC + PDA and every baseline', async () => {
    const r = await runCli(['grid', '--spec', 'grids/table1.json', '--db', join(dir, 'table1.db'), '--list'], root);
    expect(r.code).toBe(0);
    const labels = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/ {2,}/)[0]);
    const defenses = ['lac', 'lac+pda', 'ft', 'ft-sam', 'nad', 'fine-pruning', 'mcr', 'ibau', 'efrap'];
    expect(labels).toEqual(['pqbackdoor-w4', 'compartifact-w4', 'pqbackdoor-w4-act', 'compartifact-w4-act'].flatMap((m) => defenses.map((d) => `${m} ${d}`)));
    // Listing runs nothing and creates no database.
    expect(existsSync(join(dir, 'table1.db'))).toBe(false);
  });

  it('runs a 2 x 2 grid two cells at a time into the database, then skips every cell done earlier', async () => {
    await writeSpec('two.json', spec());
    const r = await grid(['--spec', 'two.json', '--db', 'two/results.db', '--lanes', '2', '--json']);
    expect(r.code).toBe(0);
    const table = rows(r.stdout);
    expect(table.map((t) => t.label)).toEqual(['pq lac s0', 'pq lac+pda s0', 'pq lac s1', 'pq lac+pda s1']);
    for (const t of table) {
      expect(t).toMatchObject({ status: 'done', model: '../pq', quantizer: 'academic-w4a4', preset: 'fast', options: { iterations: '5' }, samples: 32, qcbVersion: version, attempts: 1 });
      expect(t.defended.ba).toBeGreaterThanOrEqual(0);
      expect(t.defended.asr).not.toBeNull();
    }
    expect(r.stderr).toMatch(/^grid: 4 cells, 0 done earlier, 4 to run, 2 at a time$/m);
    // Each cell's own progress, prefixed by its label, and the overall line.
    expect(r.stderr).toMatch(/^\[pq lac\+pda s1\] unit 1\/\d+ stem_conv \[#+\] 5\/5/m);
    expect(r.stderr).toMatch(/^grid 4\/4 cells, 0 failed, 0 running, \S+ elapsed, eta 0s \| done pq /m);
    expect(r.stderr).toMatch(/^grid: 4 cells: 0 done earlier, 4 ran, 0 failed$/m);
    // The cells' output folders were temporary.
    expect(existsSync(join(dir, 'two/results.db.work'))).toBe(false);
    expect(existsSync(join(dir, 'two/results.db.lock'))).toBe(false);

    const again = await grid(['--spec', 'two.json', '--db', 'two/results.db', '--json']);
    expect(again.code).toBe(0);
    expect(rows(again.stdout)).toEqual(table);
    expect(again.stderr).toMatch(/^grid: 4 cells, all 4 done earlier$/m);
    expect(again.stderr).not.toMatch(/starts|^\[/m);

    const text = await grid(['--spec', 'two.json', '--db', 'two/results.db', '--list']);
    expect(text.stdout).toMatch(/^cell +fp BA +fp ASR +q BA +q ASR +def BA +def ASR +DER +time\npq lac s0 +[\d.]+ +[\d.]+ /);
  }, 180_000);

  it('records a failing cell with its error, goes on, and exits 1', async () => {
    await writeSpec('fails.json', spec({ defenses: ['lac', { defense: 'lac', augment: ['pda'], options: { 'pda.gammaSteps': 'abc' } }], seeds: [0] }));
    const r = await grid(['--spec', 'fails.json', '--db', 'fails.db', '--json']);
    expect(r.code).toBe(1);
    const [ok, bad] = rows(r.stdout);
    expect(ok).toMatchObject({ label: 'pq lac', status: 'done' });
    expect(bad).toMatchObject({ label: 'pq lac+pda{pda.gammaSteps=abc}', status: 'failed', error: expect.stringMatching(/gammaSteps/) as unknown });
    expect(r.stderr).toMatch(/^grid: 2 cells: 0 done earlier, 2 ran, 1 failed$/m);
    expect(r.stderr).toMatch(/^ {2}failed: pq lac\+pda\{pda\.gammaSteps=abc\}: .*gammaSteps/m);
  }, 120_000);

  it('resumes a killed grid: the cells finished before the kill stay as they were, the others run', async () => {
    await writeSpec('kill.json', spec());
    const bin = join(root, 'packages/cli/dist/bin.js');
    const child = spawn(process.execPath, [bin, 'grid', '--spec', 'kill.json', '--db', 'kill.db', '--lanes', '1'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, sig) => done(sig)));
    await new Promise<void>((firstRow) => {
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (t: string) => {
        err += t;
        if (/^grid 1\/4 cells/m.test(err)) firstRow();
      });
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const before = rows((await grid(['--spec', 'kill.json', '--db', 'kill.db', '--list', '--json'])).stdout);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(4);
    const r = await grid(['--spec', 'kill.json', '--db', 'kill.db', '--json']);
    expect(r.code).toBe(0);
    const after = rows(r.stdout);
    expect(after.map((t) => t.status)).toEqual(['done', 'done', 'done', 'done']);
    for (const b of before) expect(after.find((a) => a.label === b.label)).toEqual(b);
    expect(r.stderr).toMatch(new RegExp(`^grid: 4 cells, ${before.length} done earlier, ${4 - before.length} to run`, 'm'));
    expect(r.stderr.match(/^grid: lane \d starts /gm)).toHaveLength(4 - before.length);
    expect(after.every((a) => a.attempts === 1)).toBe(true);
  }, 180_000);
});
