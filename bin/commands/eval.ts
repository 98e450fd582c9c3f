/** `vgg2-torch eval`: one protocol, one or several weights files → a side-by-side table, --json, --report. */
import type { CommandModule } from 'yargs';
import { Issues } from '../../lib/data/issues';
import { resolveOutput, withWeights } from '../../lib/eval/embed';
import { uniqueLabels } from '../../lib/eval/labels';
import { chooseThreshold, parseThresholdRule, setWeightsMetadata, THRESHOLD_PROTOCOLS } from '../../lib/eval/threshold';
import { checkOutputFile } from '../../lib/io/output-path';
import { evaluate } from '../../lib/eval/evaluate';
import { classifySplit } from '../../lib/eval/run-split';
import { loadForEval } from '../../lib/eval/load-model';
import { PROTOCOLS, type ProtocolName, type ProtocolResult } from '../../lib/eval/protocols/types';
import { formatValue, sideBySide, toRecord, type EvalRecord } from '../../lib/eval/record';
import { writeReport } from '../../lib/eval/report/html';
import { readRunConfig, readTrainingLog } from '../../lib/eval/report/training';
import type { Arch } from '../../lib/model';
import { emitJson, inputSize, jsonFile, jsonOption, type JsonArgs } from './common-flags';
import { embeddingOptions, type EmbeddingArgs } from './embedding-options';
import { ARCHS } from '../../lib/archs';

interface Args extends EmbeddingArgs, JsonArgs {
  weights: string[];
  arch?: Arch;
  data: string;
  protocol: ProtocolName;
  images?: string;
  pairs?: string;
  holdout?: number;
  seed?: number;
  'gallery-per-id': number;
  unknown: number;
  folds?: string[];
  report?: string;
  run?: string;
  'set-threshold'?: string;
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
        choices: ARCHS,
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
        describe:
          "classify: images held out per identity [default: the weights' run's (config.json beside them, same data), else 2]",
      })
      .option('seed', {
        type: 'number',
        describe:
          "classify: split seed [default: the run's, else 0]; identify: choice of unknown identities [default: 0]",
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
      .option('set-threshold', {
        type: 'string',
        describe:
          'verify, cfp, pairs: store a decision threshold in each weights file (verify_threshold, used by `verify`): eer, best (balanced accuracy) or far=1e-3',
      })
      .option('run', {
        type: 'string',
        describe: 'A training run folder (metrics.jsonl): its curves go into the report',
      })
      .strict(),
  handler: async (argv) => {
    // Everything that can be refused is refused before minutes of embedding.
    const rule = argv['set-threshold'] !== undefined ? parseThresholdRule(argv['set-threshold']) : undefined;
    if (rule && !THRESHOLD_PROTOCOLS.includes(argv.protocol))
      throw new Error(
        `--set-threshold needs a pair protocol (${THRESHOLD_PROTOCOLS.join(', ')}), not ${argv.protocol}`,
      );
    const jsonTo = jsonFile(argv);
    if (jsonTo) checkOutputFile(jsonTo, '--json', 'results.json');
    if (argv.report) checkOutputFile(argv.report, '--report', 'report.html');
    const labels = uniqueLabels(argv.weights);
    const training = argv.run ? readTrainingLog(argv.run) : undefined;
    const records: EvalRecord[] = [];
    const results: ProtocolResult[] = [];
    for (const [k, weights] of argv.weights.entries()) {
      const { model } = await loadForEval(weights, {
        arch: argv.arch,
        device: argv.device,
        inputSize: inputSize(argv),
      });
      try {
        const split =
          argv.protocol === 'classify'
            ? classifySplit(weights, argv.data, { holdout: argv.holdout, seed: argv.seed })
            : { holdout: argv.holdout ?? 2, seed: argv.seed ?? 0 };
        if (split.note) console.error(`${labels[k]}: ${split.note}`);
        if (split.warning) console.error(`warning: ${split.warning}`);
        const issues = new Issues({ strict: argv.strict });
        const output = resolveOutput(model, argv.output);
        const t0 = Date.now();
        const r = await withWeights(weights, () =>
          evaluate(model, {
            protocol: argv.protocol,
            data: argv.data,
            images: argv.images,
            pairs: argv.pairs,
            holdout: split.holdout,
            seed: split.seed,
            galleryPerId: argv['gallery-per-id'],
            unknown: argv.unknown,
            folds: argv.folds,
            size: inputSize(argv),
            crop: argv.crop,
            noFace: argv['if-no-face'],
            batchSize: argv.batch,
            flip: argv.flip,
            output,
            issues,
          }),
        );
        if (issues.count()) console.error(issues.summary());
        console.error(`${labels[k]}: ${r.protocol} done in ${((Date.now() - t0) / 1000).toFixed(1)} s — ${r.data}`);
        records.push(
          toRecord(weights, labels[k], model, r, { output, flip: argv.flip, size: inputSize(argv, model.inputSize) }),
        );
        results.push(r);
        if (rule) {
          const t = chooseThreshold(r, rule);
          setWeightsMetadata(weights, { verify_threshold: String(t.threshold), verify_threshold_rule: t.rule });
          console.error(`${weights}: verify_threshold ${t.threshold.toFixed(4)} (${t.rule}) stored; verify uses it`);
        }
      } finally {
        model.dispose();
      }
    }
    const { keys, columns } = sideBySide(records);
    const width = Math.max(6, ...keys.map((k) => k.length));
    // Each column as wide as its label or its widest value: the models' numbers line up under their names.
    const cells = keys.map((k) => columns.map((c) => formatValue(c.get(k))));
    const widths = records.map((r, j) => Math.max(r.label.length, ...cells.map((row) => row[j].length)));
    const line = (first: string, row: string[]) =>
      `${first.padEnd(width)}  ${row.map((v, j) => v.padEnd(widths[j])).join('  ')}`.trimEnd();
    console.log(
      line(
        'metric',
        records.map((r) => r.label),
      ),
    );
    keys.forEach((k, i) => console.log(line(k, cells[i])));
    const json = records.length === 1 ? records[0] : records;
    const jsonAt = emitJson(argv, json);
    if (jsonAt && jsonAt !== 'stdout') console.error(`results: ${jsonAt}`);
    if (argv.report) {
      await writeReport(argv.report, {
        records,
        results,
        training,
        trainingConfig: argv.run ? readRunConfig(argv.run) : undefined,
      });
      console.error(`report: ${argv.report}`);
    }
  },
};

export default cmd;
