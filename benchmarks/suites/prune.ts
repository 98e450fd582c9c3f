/**
 * What does pruning cost and give? (opt-in: it trains a ResNet-50 on ORL first, unless --weights
 * names one, then prunes and fine-tunes it at each ratio; about 25 minutes on 2 cores.) For 30%
 * and 50% of every block's inner channels removed (`prune`, BatchNorm |γ|): parameters, file size,
 * CPU images/s (fp32, batch 32, 112 px), and ORL held-out top-1 and CFP FF verification right
 * after pruning and after fine-tuning (`train --init`, the ORL recipe at a lower lr), against the
 * unpruned model.
 *
 *   npm run bench -- --only prune [--ratios 0.3,0.5] [--criterion bn|l1] [--epochs 30]
 *     [--finetune-epochs 10] [--weights W]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, cli, ourCli } from '../harness';
import { epochsFlag, orlAccuracy, orlRecipe, trainOrlResNet50 } from '../orl';
import { describeWeights, Model } from '../../lib/model';

/** Parameters, MiB and fp32 images/s of a weights file. */
async function cost(weights: string, smoke: boolean) {
  const m = await Model.fromFile(weights);
  const parameters = m.parameterCount;
  m.dispose();
  // prettier-ignore
  const speed = ourCli(['bench', 'infer', '--weights', weights, '--batch', '32', '--amp', 'off',
    '--steps', smoke ? '2' : '10', '--warmup', smoke ? '1' : '3']);
  return { parameters, mib: fs.statSync(weights).size / 2 ** 20, speed: Number(speed.img_per_s) };
}

const suite: Suite = {
  name: 'prune',
  describe: 'channel pruning of an ORL ResNet-50: 30% and 50%, size, speed, accuracy before/after fine-tuning',
  optIn: true,
  flags: {
    ratios: 'fractions of inner channels removed (default 0.3,0.5)',
    criterion: 'bn (default) or l1',
    epochs: 'epochs of the ResNet-50 trained first (default 30)',
    'finetune-epochs': 'epochs of fine-tuning after pruning (default 10)',
    weights: 'an ORL-trained ResNet-50 (112x112, holdout 2, seed 0) instead of training one',
  },
  async run({ arg, smoke, log }) {
    const ratios = (arg('ratios') ?? '0.3,0.5').split(',').map(Number);
    const criterion = arg('criterion') ?? 'bn';
    const epochs = epochsFlag(arg('epochs'), 'epochs', 30, smoke);
    const finetune = epochsFlag(arg('finetune-epochs'), 'finetune-epochs', 10, smoke);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-prune-'));
    try {
      let weights = arg('weights');
      if (!weights) {
        log(`prune: training ResNet-50 on ORL (${epochs} epochs)`);
        weights = trainOrlResNet50(path.join(dir, 'base'), epochs);
      }
      const base = { ...orlAccuracy(weights, dir, 'base', undefined, 0), ...(await cost(weights, smoke)) };
      log(`prune: unpruned ${JSON.stringify(base)}`);
      const rows: Row[] = [];
      for (const ratio of ratios) {
        const tag = `r${Math.round(ratio * 100)}`;
        const pruned = path.join(dir, `${tag}.safetensors`);
        cli(['prune', '--weights', weights, '--ratio', String(ratio), '--criterion', criterion, '--out', pruned]);
        const before = orlAccuracy(pruned, dir, `${tag}-pruned`, undefined, 0);
        const out = path.join(dir, `${tag}-finetuned`);
        log(`prune: ${tag} right after pruning ${JSON.stringify(before)}; fine-tuning ${finetune} epochs`);
        // prettier-ignore
        cli(['train', ...orlRecipe(finetune, 0, 0.005), '--arch', 'resnet50', '--init', pruned, '--out', out]);
        const tuned = path.join(out, 'model.safetensors');
        if (!(await describeWeights(tuned)).innerWidths)
          throw new Error(`${tuned}: fine-tuning lost the pruned widths`);
        const after = { ...orlAccuracy(tuned, dir, `${tag}-tuned`, undefined, 0), ...(await cost(tuned, smoke)) };
        log(`prune: ${tag} fine-tuned ${JSON.stringify(after)}`);
        const what =
          `resnet50 pruned ${Math.round(ratio * 100)}% (${criterion}; ${(after.parameters / 1e6).toFixed(1)}M ` +
          `parameters vs ${(base.parameters / 1e6).toFixed(1)}M, ${after.mib.toFixed(0)} vs ${base.mib.toFixed(0)} MiB)`;
        for (const metric of ['top1', 'verify'] as const) {
          const name = metric === 'top1' ? 'ORL held-out top-1' : 'CFP FF verification';
          rows.push({
            suite: 'prune',
            config: `${what}: ${name} after ${finetune} epochs of fine-tuning (${before[metric].toFixed(3)} right after pruning) vs unpruned`,
            unit: '',
            ours: after[metric],
            pytorch: base[metric],
            baseline: 'the unpruned model',
            ratio: after[metric] / base[metric],
            target: 0.98,
            rounds: 1,
          });
        }
        rows.push({
          suite: 'prune',
          config: `${what}: fp32 inference, batch 32, 112 px, vs unpruned`,
          unit: 'img/s',
          ours: after.speed,
          pytorch: base.speed,
          baseline: 'the unpruned model',
          ratio: after.speed / base.speed,
          target: 1,
          rounds: 1,
        });
      }
      return rows;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
