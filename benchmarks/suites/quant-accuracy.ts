/**
 * What static int8 costs in accuracy on real faces (opt-in: it trains a model first, ~6 minutes on
 * 2 cores, unless --weights names one): ResNet-50 trained on ORL (8 images per person, 2 held out,
 * 112x112, the train-orl recipe, 30 epochs), quantized with 64 calibration images, then
 * - held-out top-1 on ORL, fp32 against int8 (target: within 1 point);
 * - the cosine of int8 to fp32 embeddings on 100 CFP frontal faces (target >= 0.98), calibrated
 *   on ORL and, separately, on CFP images (the deployment's own kind of picture);
 * - CFP frontal-frontal verification accuracy, fp32 against int8 (target: within 1 point).
 *
 *   npm run bench -- --only quant-accuracy [--weights W]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, cli, evalMetrics, repoRoot } from '../harness';
import { trainOrlResNet50 } from '../orl';
import { Model } from '../../lib/model';
import { ImageListDataset } from '../../lib/eval/image-list';
import { agreement } from '../../lib/quant/agreement';
import { calibrationBatches } from '../../lib/quant/calibration';

const data = path.resolve(repoRoot, '..', 'shared', 'data');

const suite: Suite = {
  name: 'quant-accuracy',
  describe: 'static int8 accuracy: ORL-trained ResNet-50, held-out top-1, CFP cosine and FF verification',
  optIn: true,
  flags: { weights: 'an ORL-trained fp32 model (112x112, holdout 2, seed 0) instead of training one' },
  async run({ arg, smoke, log }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-quant-'));
    try {
      let weights = arg('weights');
      if (!weights) {
        log('quant-accuracy: training ResNet-50 on ORL');
        weights = trainOrlResNet50(path.join(dir, 'run'), smoke ? 1 : 30);
      }
      const int8 = { orl: path.join(dir, 'int8-orl.safetensors'), cfp: path.join(dir, 'int8-cfp.safetensors') };
      const calib = { orl: path.join(data, 'orl'), cfp: path.join(data, 'cfp', 'Data', 'Images') };
      for (const k of ['orl', 'cfp'] as const)
        // prettier-ignore
        cli(['quantize', '--weights', weights, '--calibrate', calib[k], '--images', '64', '--crop', 'none',
          '--out', int8[k], '--json', path.join(dir, `quantize-${k}.json`)]);

      const classify = ['--data', path.join(data, 'orl'), '--protocol', 'classify', '--holdout', '2', '--seed', '0'];
      const report = (w: string, kind: string) => path.join(dir, `eval-${path.basename(w)}-${kind}.json`);
      const [t32, t8] = [
        evalMetrics(weights, classify, report(weights, 'orl')),
        evalMetrics(int8.orl, classify, report(int8.orl, 'orl')),
      ];
      const cfp = ['--data', path.join(data, 'cfp'), '--protocol', 'cfp'];
      const [c32, c8] = [
        evalMetrics(weights, cfp, report(weights, 'cfp')),
        evalMetrics(int8.orl, cfp, report(int8.orl, 'cfp')),
      ];

      const frontal = Array.from({ length: 100 }, (_, i) =>
        path.join(data, 'cfp', 'Data', 'Images', String(i + 1).padStart(3, '0'), 'frontal', '01.jpg'),
      );
      const faces = await calibrationBatches(new ImageListDataset(frontal, 'CFP frontal'), {
        size: 112,
        images: 100,
        crop: 'none',
      });
      const fp32 = await Model.fromFile(weights);
      const cos: Record<string, number> = {};
      for (const k of ['orl', 'cfp'] as const) {
        const q = await Model.fromFile(int8[k]);
        cos[k] = (await agreement(fp32, q, faces.batches)).meanCosine;
        q.dispose();
      }
      fp32.dispose();
      const row = (config: string, ours: number, base: number, extra: Partial<Row>): Row => ({
        suite: 'quant-accuracy',
        config,
        unit: '',
        ours,
        pytorch: base,
        baseline: 'our fp32',
        ratio: ours / base,
        rounds: 1,
        ...extra,
      });
      return [
        row('ORL held-out top-1, int8 (ORL-calibrated) vs fp32 (target: within 1 point)', t8.top1, t32.top1, {}),
        row('CFP FF verification accuracy, int8 vs fp32 (target: within 1 point)', c8.FF.accuracy, c32.FF.accuracy, {}),
        row('cosine to fp32 on 100 CFP faces, ORL-calibrated (target >= 0.98)', cos.orl, 1, { target: 0.98 }),
        row('cosine to fp32 on 100 CFP faces, CFP-calibrated (target >= 0.98)', cos.cfp, 1, { target: 0.98 }),
      ];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
