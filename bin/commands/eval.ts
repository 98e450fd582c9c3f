/** `vgg2-torch eval`: one protocol, one or several weights files → a side-by-side table, --json, --report. */
import type { CommandModule } from 'yargs';
import { Issues } from '../../lib/data/issues';
import { resolveOutput } from '../../lib/eval/embed';
import { evaluate } from '../../lib/eval/evaluate';
import { loadForEval } from '../../lib/eval/load-model';
import { PROTOCOLS, type ProtocolName, type ProtocolResult } from '../../lib/eval/protocols/types';
import { formatValue, sideBySide, toRecord, type EvalRecord } from '../../lib/eval/record';
import { writeReport } from '../../lib/eval/report/html';
import { readRunConfig, readTrainingLog } from '../../lib/eval/report/training';
import type { Arch } from '../../lib/model';
import { emitJson, inputSize, jsonOption, type JsonArgs } from './common-flags';
import { embeddingOptions, type EmbeddingArgs } from './embedding-options';

interface Args extends EmbeddingArgs, JsonArgs {
  weights: string[];
  arch?: Arch;
  data: string;
  protocol: ProtocolName;
  images?: string;
  pairs?: string;
  holdout: number;
  seed: number;
  'gallery-per-id': number;
  unknown: number;
  folds?: string[];
  report?: string;
  run?: string;
}

const cmd: CommandModule<object, Args> = {
  command: 'eval',
  describe:
    'Evaluate weights on a protocol: classify, verify, identify, pose, age, pairs (LFW), cfp, bin (insightface)',
  builder: (y) =>
    jsonOption(embeddingOptions(y))
      .option('weights', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Weights file(s); several give a side-by-side comparison',
      })
      .option('arch', {
        choices: ['resnet50', 'senet50'] as const,
        describe: 'Architecture, for files without metadata',
      })
      .option('data', {
        type: 'string',
        demandOption: true,
        describe: 'VGGFace2 root, image folder or cache; CFP root; LFW image root; a .bin file',
      })
      .option('protocol', { choices: PROTOCOLS, demandOption: true, describe: 'What to measure' })
      .option('images', {
        type: 'string',
        describe: 'VGGFace2: images folder when apart from the metadata; verify: root of the pairs list paths',
      })
      .option('pairs', {
        type: 'string',
        describe: 'verify: labelled pairs list (A B LABEL); pairs: pairs.txt (default <data>/pairs.txt)',
      })
      .option('holdout', {
        type: 'number',
        default: 2,
        describe: 'classify: images held out per identity (as in training)',
      })
      .option('seed', {
        type: 'number',
        default: 0,
        describe: 'classify: split seed (as in training); identify: choice of unknown identities',
      })
      .option('gallery-per-id', { type: 'number', default: 1, describe: 'identify: gallery images per identity' })
      .option('unknown', {
        type: 'number',
        default: 0,
        describe: 'identify: identities kept out of the gallery (open set: TPIR@FPIR)',
      })
      .option('folds', {
        type: 'string',
        array: true,
        describe: 'cfp: only these folds, e.g. --folds 10 (default: every fold with images)',
      })
      .option('report', { type: 'string', describe: 'Write a self-contained HTML report here' })
      .option('run', {
        type: 'string',
        describe: 'A training run folder (metrics.jsonl): its curves go into the report',
      })
      .strict(),
  handler: async (argv) => {
    const training = argv.run ? readTrainingLog(argv.run) : undefined;
    const records: EvalRecord[] = [];
    const results: ProtocolResult[] = [];
    for (const weights of argv.weights) {
      const { model } = await loadForEval(weights, {
        arch: argv.arch,
        device: argv.device,
        inputSize: inputSize(argv),
      });
      try {
        const issues = new Issues();
        const output = resolveOutput(model, argv.output);
        const t0 = Date.now();
        const r = await evaluate(model, {
          protocol: argv.protocol,
          data: argv.data,
          images: argv.images,
          pairs: argv.pairs,
          holdout: argv.holdout,
          seed: argv.seed,
          galleryPerId: argv['gallery-per-id'],
          unknown: argv.unknown,
          folds: argv.folds,
          size: inputSize(argv),
          crop: argv.crop,
          batchSize: argv.batch,
          flip: argv.flip,
          output,
          issues,
        });
        if (issues.count()) console.error(issues.summary());
        console.error(`${weights}: ${r.protocol} done in ${((Date.now() - t0) / 1000).toFixed(1)} s — ${r.data}`);
        records.push(toRecord(weights, model, r, { output, flip: argv.flip, size: inputSize(argv, model.inputSize) }));
        results.push(r);
      } finally {
        model.dispose();
      }
    }
    const { keys, columns } = sideBySide(records);
    const width = Math.max(6, ...keys.map((k) => k.length));
    console.log(`${'metric'.padEnd(width)}  ${records.map((r) => r.weights).join('  ')}`);
    for (const k of keys) console.log(`${k.padEnd(width)}  ${columns.map((c) => formatValue(c.get(k))).join('  ')}`);
    const json = records.length === 1 ? records[0] : records;
    const jsonAt = emitJson(argv, json);
    if (jsonAt && jsonAt !== 'stdout') console.error(`results: ${jsonAt}`);
    if (argv.report)
      await writeReport(argv.report, {
        records,
        results,
        training,
        trainingConfig: argv.run ? readRunConfig(argv.run) : undefined,
      });
  },
};

export default cmd;
