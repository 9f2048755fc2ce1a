// Writes the outlier-equalized copy of a model (what `qcb purify --augment equalize` hands the
// defense; the same full-precision function), so that `qcb evaluate --quantizer <profile>`
// measures equalization alone, without a defense after it.
// Usage (after `pnpm build`): node packages/cli/scripts/equalize-outliers.mjs <model dir> <profile> <out dir> [key=value ...]
// where the keys are the augmentation's options without their prefix (ratio, headroom, minLevels).
import { defenderBatches, initBackend, loadDataset, loadModel, quantizeModel, resolveQuantizer, saveModel } from '@qcb/core';
import { describeOutlier, equalizeOutliers, resolveEqualizeOptions } from '@qcb/equalize';
import { createEngine } from '../dist/context.js';

const [dir, profileName, out, ...pairs] = process.argv.slice(2);
if (!dir || !profileName || !out) throw new Error('usage: equalize-outliers.mjs <model dir> <profile> <out dir> [key=value ...]');
await initBackend('wasm');
const engine = await createEngine({ backend: 'wasm', plugin: [], verbose: false, help: false }, process.cwd());
const { model, sidecar } = await loadModel(dir);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
// The defender's share, as `qcb purify` calibrates on it.
const calibration = defenderBatches(data.train, sidecar?.normalization ?? data.normalization, { share: 0.05 });
const quantized = await quantizeModel(model, resolveQuantizer(engine, profileName), calibration);
const options = resolveEqualizeOptions(Object.fromEntries(pairs.map((p) => [`equalize.${p.split('=')[0]}`, p.split('=')[1]])));
const { model: equalized, outliers } = equalizeOutliers(model, quantized, calibration, options);
for (const o of outliers) console.log(describeOutlier(o));
await saveModel(out, equalized, { sidecar });
console.log(`wrote ${out} (${outliers.filter((o) => !o.skipped).length} channels scaled)`);
