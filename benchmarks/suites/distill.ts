/**
 * Does distillation pay? (opt-in: it trains a ResNet-50 teacher on ORL first, unless --teacher
 * names one, then 2 × seeds runs per student; about an hour on 2 cores with 3 seeds.) On ORL (8
 * images per person, 2 held out, 112x112, the train-orl recipe) each student — ResNet-18 and
 * MobileFaceNet — is trained twice with the same budget and seed: distilled from the teacher
 * (`distill --teacher`, embedding term + labels) and alone (`train`). Rows: held-out top-1 and CFP
 * frontal-frontal verification accuracy, mean and spread over the seeds, distilled against alone;
 * and the teacher's and students' parameters, file size and CPU images/s.
 *
 *   npm run bench -- --only distill [--seeds 0,1,2] [--epochs 30] [--teacher-epochs 30] [--teacher W]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, cli, ourCli } from '../harness';
import { epochsFlag, orlAccuracy, orlRecipe as recipe, stats, trainOrlResNet50 } from '../orl';
import { Model } from '../../lib/model';
import type { Arch } from '../../lib/archs';

const STUDENTS: Arch[] = ['resnet18', 'mobilefacenet'];

const suite: Suite = {
  name: 'distill',
  describe: 'distillation on ORL: ResNet-50 teacher, ResNet-18 and MobileFaceNet distilled vs alone (top-1, CFP FF)',
  optIn: true,
  flags: {
    seeds: 'seeds, e.g. 0,1,2 (default)',
    epochs: 'epochs of every student run: their budget (default 30)',
    'teacher-epochs': 'epochs of the teacher trained first (default: --epochs)',
    teacher: 'an ORL-trained model (112x112, holdout 2, seed 0) instead of training one',
  },
  async run({ arg, smoke, log }) {
    const seeds = (arg('seeds') ?? (smoke ? '0' : '0,1,2')).split(',').map(Number);
    if (seeds.some((s) => !Number.isInteger(s) || s < 0))
      throw new Error(`--seeds: a list like 0,1,2, got ${arg('seeds')}`);
    const epochs = epochsFlag(arg('epochs'), 'epochs', 30, smoke);
    const teacherEpochs = epochsFlag(arg('teacher-epochs'), 'teacher-epochs', epochs, smoke);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-distill-'));
    try {
      let teacher = arg('teacher');
      if (!teacher) {
        log(`distill: training the ResNet-50 teacher on ORL (${teacherEpochs} epochs)`);
        teacher = trainOrlResNet50(path.join(dir, 'teacher'), teacherEpochs);
      }
      const rows: Row[] = [];
      const size = async (arch: Arch, file?: string) => {
        const m = file ? await Model.fromFile(file) : await Model.create({ arch, numClasses: 40, inputSize: 112 });
        const parameters = m.parameterCount;
        m.dispose();
        const speed = ourCli(['bench', 'infer', '--arch', arch, '--classes', '40', '--batch', '32', '--amp', 'off']);
        return { parameters, speed: Number(speed.img_per_s) };
      };
      const t = orlAccuracy(teacher, dir, 'teacher');
      const ts = await size('resnet50', teacher);
      log(`distill: teacher top-1 ${t.top1}, CFP FF ${t.verify}, ${ts.parameters} parameters, ${ts.speed} img/s`);
      for (const student of STUDENTS) {
        const runs = {
          distilled: [] as { top1: number; verify: number }[],
          alone: [] as { top1: number; verify: number }[],
        };
        for (const seed of seeds) {
          for (const kind of ['distilled', 'alone'] as const) {
            const out = path.join(dir, `${student}-${kind}-${seed}`);
            log(`distill: ${student} ${kind} seed ${seed}`);
            if (kind === 'distilled')
              cli(['distill', ...recipe(epochs, seed), '--teacher', teacher, '--student', student, '--out', out]);
            else cli(['train', ...recipe(epochs, seed), '--arch', student, '--out', out]);
            const weights = path.join(out, 'model.safetensors');
            runs[kind].push(orlAccuracy(weights, dir, path.basename(out)));
            log(`  ${JSON.stringify(runs[kind][runs[kind].length - 1])}`);
          }
        }
        const s = await size(student);
        const bytes = fs.statSync(path.join(dir, `${student}-alone-${seeds[0]}`, 'model.safetensors')).size;
        for (const metric of ['top1', 'verify'] as const) {
          const d = stats(runs.distilled.map((r) => r[metric]));
          const a = stats(runs.alone.map((r) => r[metric]));
          const what = metric === 'top1' ? 'ORL held-out top-1' : 'CFP FF verification';
          rows.push({
            suite: 'distill',
            config:
              `${student} (${(s.parameters / 1e6).toFixed(1)}M parameters, ${(bytes / 2 ** 20).toFixed(0)} MiB, ` +
              `${s.speed} img/s; teacher ${t[metric].toFixed(3)}): ${what}, distilled vs alone, ${epochs} epochs, ` +
              `${seeds.length} seeds, spread ${d.spread.toFixed(3)} / ${a.spread.toFixed(3)}`,
            unit: '',
            ours: d.mean,
            pytorch: a.mean,
            baseline: 'the student alone',
            ratio: d.mean / a.mean,
            target: 1,
            rounds: seeds.length,
          });
        }
      }
      return rows;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
