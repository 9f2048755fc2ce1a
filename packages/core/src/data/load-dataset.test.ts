import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from './load-dataset.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-load-'));
  for (const cls of ['a', 'b']) {
    await mkdir(join(dir, cls));
    for (const name of ['1.png', '2.png']) {
      await writeFile(join(dir, cls, name), PNG.sync.write(new PNG({ width: 2, height: 2 })));
    }
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadDataset', () => {
  it('dispatches synthetic with an optional class count and seed', async () => {
    expect((await loadDataset('synthetic')).classes).toBe(4);
    const nine = await loadDataset('synthetic:9', { seed: 3 });
    expect(nine.classes).toBe(9);
    expect(nine.train.images).toEqual((await loadDataset('synthetic:9', { seed: 3 })).train.images);
    await expect(loadDataset('synthetic:x')).rejects.toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('dispatches folder:<path> and folder with dataDir', async () => {
    expect((await loadDataset(`folder:${dir}`)).labelNames).toEqual(['a', 'b']);
    expect((await loadDataset('folder', { dataDir: dir })).name).toBe('folder');
    await expect(loadDataset('folder')).rejects.toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(/folder:<path> or --data-dir/) }));
  });

  it('requires a dataDir for cifar10 and passes one to fashion-mnist', async () => {
    await expect(loadDataset('cifar10')).rejects.toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(/cifar10 needs --data-dir/) }));
    await expect(loadDataset('fashion-mnist', { dataDir: join(dir, 'none') })).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/none not found/) }),
    );
  });

  it('lists the valid names for an unknown one', async () => {
    await expect(loadDataset('mnist')).rejects.toThrow(
      expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(/unknown dataset "mnist"; valid datasets: fashion-mnist, cifar10, folder:<path>, synthetic\[:<classes>\]/) }),
    );
  });
});
