/**
 * Does distillation pay? (opt-in: it trains the ResNet-50 teacher first, unless --teacher names
 * one, then 2 × seeds runs per student; about 65 minutes on 2 cores with 3 seeds, plus 17 for the teacher.)
 *
 * The teacher is what a deployment distils from: a bigger network trained on more faces than the
 * students get — here ResNet-50 on the CFP identities 001–100 (folds 01–02, frontal and profile,
 * 112 px; 2 images per identity held out). Each student — ResNet-18 and MobileFaceNet — is then
 * trained on ORL (2 of 10 images per person held out, or --holdout; 112x112, the train-orl recipe)
 * twice with the same budget and seed: distilled from the teacher (`distill --teacher`, embedding
 * term + labels) and alone (`train`). Rows: held-out ORL top-1 and CFP frontal-frontal
 * verification on fold 10 (identities 451–500: neither the teacher nor a student saw them), mean
 * and spread over the seeds, distilled against alone; and the teacher's and students' parameters,
 * file size and CPU images/s. The teacher has no ORL classes: its ORL number is rank-1
 * identification by embeddings (the students' training images per person as its gallery).
 *
 * ORL's 320 grey faces cannot carry a teacher's skill on its own (measured: distilled = alone), so
 * the distilled students also get a transfer set (`--transfer-data`): the teacher's CFP faces
 * without their labels, 16 joining each batch of 16 labelled ORL faces. Both runs take the same
 * steps and epochs over ORL. `--transfer none` distils on ORL alone.
 *
 * That teacher never saw ORL: it identifies ORL's faces worse than the students do, so it cannot
 * lift their ORL top-1. `--teacher-finetune E` first fine-tunes it on each seed's ORL training split
 * (E epochs, the students' recipe at lr 0.05, the backbone's ×0.2; the held-out images stay
 * unseen), and the students then also learn its softened ORL logits (`--logit-weight`, default 1).
 *
 * `--labelled cfp` is distillation as Hinton et al. set it: the students learn the teacher's own
 * task — its CFP identities 001–100 with its recipe and its held-out split (`--split-seed`, so that
 * no seed scores a student on an image the teacher learnt) — from the labels alone, or also from the
 * teacher's embeddings and softened logits. Top-1 is on those held-out images; verification as above.
 *
 *   npm run bench -- --only distill [--seeds 0,1,2] [--epochs 30] [--teacher-epochs 30] [--teacher W]
 *     [--labelled orl|cfp] [--transfer teacher|none] [--holdout 2] [--teacher-finetune E] [--logit-weight W]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, cli, evalMetrics, ourCli, repoRoot } from '../harness';
import { linkCfpIdentities } from '../cfp-identities';
import { cfpVerification, epochsFlag, orlAccuracy, orlRecipe as recipe, stats } from '../orl';
import { Model } from '../../lib/model';
import type { Arch } from '../../lib/archs';
import { readRunConfig } from '../../lib/eval/report/training';
import { recordedSplit } from '../../lib/eval/run-split';

const data = path.resolve(repoRoot, '..', 'shared', 'data');
/** The fold every model is verified on; the teacher trains on identities of other folds only. */
const TEST_FOLDS = ['10'];

/** The teacher's identities: CFP 001–100, linked into `dir`. */
const teacherIdentities = (dir: string) =>
  linkCfpIdentities(path.join(data, 'cfp'), { first: 1, last: 100 }, TEST_FOLDS[0], dir);

/** The teacher's recipe on CFP identities `ids`, holding out `split.holdout` per identity drawn by `split.seed`. */
const cfpRecipe = (ids: string, epochs: number, seed: number, split: { holdout: number; seed: number }) =>
  // prettier-ignore
  ['--data', ids, '--epochs', String(epochs), '--batch-size', '32', '--lr', '0.05', '--schedule', 'cosine',
   '--warmup-epochs', '2', '--holdout-per-class', String(split.holdout), '--split-seed', String(split.seed),
   '--input-size', '112', '--crop', 'none', '--amp', 'bf16', '--seed', String(seed)];

/** The held-out split of the suite's teacher: 2 images per identity, seed 0. */
const TEACHER_SPLIT = { holdout: 2, seed: 0 };

/** Trains the ResNet-50 teacher on the CFP identities 001–100 at 112 px (seed 0) into `out`; its weights. */
function trainCfpTeacher(out: string, epochs: number): string {
  cli([
    'train',
    ...cfpRecipe(teacherIdentities(`${out}-ids`).dir, epochs, 0, TEACHER_SPLIT),
    '--arch',
    'resnet50',
    '--out',
    out,
  ]);
  return path.join(out, 'model.safetensors');
}

/**
 * The held-out split a given teacher trained with (its run's config.json): the CFP students keep it,
 * so that no student is scored on an image the teacher learnt.
 */
function teacherSplit(teacher: string): { holdout: number; seed: number } {
  const c = readRunConfig(teacher);
  const split = c && recordedSplit(c);
  if (!split || split.holdout < 1)
    throw new Error(
      `--labelled cfp: ${teacher} needs its run's config.json with the held-out split it trained with (holdoutPerClass ≥ 1)`,
    );
  return split;
}

const STUDENTS: Arch[] = ['resnet18', 'mobilefacenet'];

const suite: Suite = {
  name: 'distill',
  describe:
    "distillation from a ResNet-50 teacher trained on CFP 001-100: ResNet-18 and MobileFaceNet distilled vs alone on ORL (or with --labelled cfp on the teacher's own faces); held-out top-1, CFP fold 10 FF",
  optIn: true,
  flags: {
    seeds: 'seeds, e.g. 0,1,2 (default)',
    epochs: 'epochs of every student run: their budget (default 30)',
    'teacher-epochs': 'epochs of the teacher trained first (default: --epochs)',
    'distill-loss': "the embedding term: cosine (default) or mse (distill's --distill-loss)",
    'distill-weight': "its weight (distill's --distill-weight, default 1)",
    teacher: 'a model taking 112 px faces instead of training one (it must not have seen CFP fold 10)',
    transfer: "the distilled runs' transfer set: teacher (CFP 001-100 unlabelled, default) or none",
    holdout: 'ORL images held out per person, of 10 (default 2; more makes top-1 harder than its ceiling)',
    'teacher-finetune': "epochs fine-tuning the teacher on each seed's ORL training split first (default 0: none)",
    'logit-weight':
      "the KL term on the teacher's logits (distill's --logit-weight; default 1 where it has the students' classes)",
    labelled:
      "the students' labelled set: orl (default) or cfp (the teacher's own CFP 001-100 and held-out split; top-1 on its held-out images)",
  },
  async run({ arg, smoke, log }) {
    const seeds = (arg('seeds') ?? (smoke ? '0' : '0,1,2')).split(',').map(Number);
    if (seeds.some((s) => !Number.isInteger(s) || s < 0))
      throw new Error(`--seeds: a list like 0,1,2, got ${arg('seeds')}`);
    const epochs = epochsFlag(arg('epochs'), 'epochs', 30, smoke);
    const teacherEpochs = epochsFlag(arg('teacher-epochs'), 'teacher-epochs', epochs, smoke);
    const how = [
      ...['--distill-loss', arg('distill-loss') ?? 'cosine'],
      ...['--distill-weight', arg('distill-weight') ?? '1'],
    ];
    const holdout = Number(arg('holdout') ?? 2);
    if (!Number.isInteger(holdout) || holdout < 1 || holdout > 9)
      throw new Error(`--holdout: images held out per person, 1 to 9, got ${arg('holdout')}`);
    const finetune = Number(arg('teacher-finetune') ?? 0);
    if (!Number.isInteger(finetune) || finetune < 0)
      throw new Error(`--teacher-finetune: epochs, 0 or more, got ${arg('teacher-finetune')}`);
    const labelled = arg('labelled') ?? 'orl';
    if (labelled !== 'orl' && labelled !== 'cfp') throw new Error(`--labelled: orl or cfp, got ${labelled}`);
    if (labelled === 'cfp' && finetune > 0) throw new Error('--teacher-finetune is for --labelled orl');
    // The KL term needs a teacher of the students' classes: fine-tuned on ORL, or CFP's own.
    const logitWeight = finetune > 0 || labelled === 'cfp' ? (arg('logit-weight') ?? '1') : '0';
    if (!(Number(logitWeight) >= 0)) throw new Error(`--logit-weight: 0 or more, got ${arg('logit-weight')}`);
    // On CFP the labelled set is the teacher's own faces: a transfer set of them would add nothing.
    const transfer = arg('transfer') ?? (labelled === 'cfp' ? 'none' : 'teacher');
    if (transfer !== 'teacher' && transfer !== 'none') throw new Error(`--transfer: teacher or none, got ${transfer}`);
    if (labelled === 'cfp' && transfer === 'teacher')
      throw new Error("--transfer teacher: with --labelled cfp the labelled set is already the teacher's faces");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-distill-'));
    try {
      const transferFlags =
        transfer === 'teacher'
          ? ['--transfer-data', teacherIdentities(path.join(dir, 'transfer')).dir, '--transfer-batch-size', '16']
          : [];
      let teacher = arg('teacher');
      if (!teacher) {
        log(`distill: training the ResNet-50 teacher on CFP identities 001–100 (${teacherEpochs} epochs)`);
        teacher = trainCfpTeacher(path.join(dir, 'teacher'), teacherEpochs);
      }
      const rows: Row[] = [];
      const distilled =
        `${how.join(' ')}${transfer === 'teacher' ? ', transfer set CFP 001-100 unlabelled, 16 per batch' : ''}` +
        (finetune > 0 ? `, teacher fine-tuned ${finetune} epochs per seed` : '') +
        (Number(logitWeight) > 0 ? `, --logit-weight ${logitWeight}` : '');
      // --labelled cfp: the students' images are the teacher's CFP identities, split as the teacher's were.
      const cfp =
        labelled === 'cfp' ? { ...teacherIdentities(path.join(dir, 'ids')), split: teacherSplit(teacher) } : undefined;
      const classes = cfp ? cfp.ids.length : 40;
      const size = async (arch: Arch, file?: string) => {
        const m = file ? await Model.fromFile(file) : await Model.create({ arch, numClasses: classes, inputSize: 112 });
        const parameters = m.parameterCount;
        m.dispose();
        const speed = ourCli([
          'bench',
          'infer',
          '--arch',
          arch,
          '--classes',
          String(classes),
          '--batch',
          '32',
          '--amp',
          'off',
        ]);
        return { parameters, speed: Number(speed.img_per_s) };
      };
      const studentRecipe = (seed: number) =>
        cfp ? cfpRecipe(cfp.dir, epochs, seed, cfp.split) : recipe(epochs, seed, undefined, holdout);
      // Held-out top-1 (on the split of the run beside the weights) and CFP fold 10 verification.
      const score = (weights: string, tag: string, seed: number) =>
        cfp
          ? {
              top1: evalMetrics(
                weights,
                ['--data', cfp.dir, '--protocol', 'classify'],
                path.join(dir, `${tag}-ids.json`),
              ).top1 as number,
              verify: cfpVerification(weights, dir, tag, TEST_FOLDS),
            }
          : orlAccuracy(weights, dir, tag, TEST_FOLDS, seed, holdout);
      const identify = [
        '--data',
        path.join(data, 'orl'),
        '--protocol',
        'identify',
        '--gallery-per-id',
        String(10 - holdout),
      ];
      // The teacher's top-1: on CFP its own held-out images (its split named, as it may sit apart from its run);
      // on ORL, whose people it never learnt, rank-1 identification by embeddings.
      const teacherSet = cfp
        ? [
            '--data',
            cfp.dir,
            '--protocol',
            'classify',
            '--holdout',
            String(cfp.split.holdout),
            '--seed',
            String(cfp.split.seed),
          ]
        : identify;
      const t = {
        top1: evalMetrics(teacher, teacherSet, path.join(dir, 'teacher-top1.json'))[cfp ? 'top1' : 'rank1'] as number,
        verify: cfpVerification(teacher, dir, 'teacher', TEST_FOLDS),
      };
      const ts = await size('resnet50', teacher);
      log(
        `distill: teacher ${cfp ? 'CFP held-out top-1' : 'ORL rank-1'} ${t.top1}, CFP fold ${TEST_FOLDS} FF ${t.verify}, ` +
          `${ts.parameters} parameters, ${ts.speed} img/s`,
      );
      // Per seed, the teacher the students distil from: fine-tuned on that seed's ORL training split, or as given.
      const teachers = new Map<number, string>();
      const tuned: { top1: number; verify: number }[] = [];
      for (const seed of seeds) {
        if (finetune === 0) {
          teachers.set(seed, teacher);
          continue;
        }
        const out = path.join(dir, `teacher-orl-${seed}`);
        log(`distill: fine-tuning the teacher on ORL, seed ${seed} (${finetune} epochs)`);
        // prettier-ignore
        cli(['train', ...recipe(finetune, seed, 0.05, holdout), '--arch', 'resnet50', '--init', teacher,
             '--backbone-lr-scale', '0.2', '--out', out]);
        teachers.set(seed, path.join(out, 'model.safetensors'));
        tuned.push(orlAccuracy(teachers.get(seed)!, dir, path.basename(out), TEST_FOLDS, seed, holdout));
        log(`  teacher ${JSON.stringify(tuned[tuned.length - 1])}`);
      }
      if (tuned.length) {
        // The students' teachers: their held-out top-1 (classifier) and verification, mean over the seeds.
        t.top1 = stats(tuned.map((r) => r.top1)).mean;
        t.verify = stats(tuned.map((r) => r.verify)).mean;
      }
      for (const student of STUDENTS) {
        const runs = {
          distilled: [] as { top1: number; verify: number }[],
          alone: [] as { top1: number; verify: number }[],
        };
        // Wall seconds of the training runs: a transfer set costs time (more images per step, the teacher's passes).
        const seconds = { distilled: 0, alone: 0 };
        for (const seed of seeds) {
          for (const kind of ['distilled', 'alone'] as const) {
            const out = path.join(dir, `${student}-${kind}-${seed}`);
            log(`distill: ${student} ${kind} seed ${seed}`);
            const t0 = performance.now();
            if (kind === 'distilled')
              cli([
                'distill',
                ...studentRecipe(seed),
                ...how,
                ...transferFlags,
                ...['--logit-weight', logitWeight],
                '--teacher',
                teachers.get(seed)!,
                '--student',
                student,
                '--out',
                out,
              ]);
            else cli(['train', ...studentRecipe(seed), '--arch', student, '--out', out]);
            seconds[kind] += (performance.now() - t0) / 1000;
            const weights = path.join(out, 'model.safetensors');
            runs[kind].push(score(weights, path.basename(out), seed));
            log(`  ${JSON.stringify(runs[kind][runs[kind].length - 1])}`);
          }
        }
        const s = await size(student);
        const bytes = fs.statSync(path.join(dir, `${student}-alone-${seeds[0]}`, 'model.safetensors')).size;
        for (const metric of ['top1', 'verify'] as const) {
          const d = stats(runs.distilled.map((r) => r[metric]));
          const a = stats(runs.alone.map((r) => r[metric]));
          const what =
            metric === 'verify'
              ? `CFP fold ${TEST_FOLDS} FF verification`
              : cfp
                ? `CFP 001-100 held-out top-1 (the teacher's split: ${cfp.split.holdout} per identity, seed ${cfp.split.seed})`
                : `ORL held-out top-1 (${holdout} per person)`;
          const teacherTop1 = cfp ? 'held-out top-1 ' : tuned.length ? 'ORL fine-tuned ' : 'ORL rank-1 by embeddings ';
          rows.push({
            suite: 'distill',
            config:
              `${student} (${(s.parameters / 1e6).toFixed(1)}M parameters, ${(bytes / 2 ** 20).toFixed(0)} MiB, ` +
              `${s.speed} img/s; teacher ${metric === 'top1' ? teacherTop1 : ''}${t[metric].toFixed(3)}): ${what}, distilled (${distilled}) vs alone, ${epochs} epochs, ` +
              `${seeds.length} seeds, spread ${d.spread.toFixed(3)} / ${a.spread.toFixed(3)}, ` +
              `${(seconds.distilled / seeds.length).toFixed(0)} / ${(seconds.alone / seeds.length).toFixed(0)} s per run`,
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
