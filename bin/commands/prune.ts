/**
 * `vgg2-torch prune`: a trained ResNet made smaller — a fraction of every block's inner channels
 * removed (the least important by BatchNorm scale or filter L1 norm), written as a dense model
 * that `train --init` fine-tunes and quantize, export, eval and embed take like any other
 * (docs/pruning.md).
 */
import * as fs from 'fs';
import type { CommandModule } from 'yargs';
import { loadForEval } from '../../lib/eval/load-model';
import { checkInputFile } from '../../lib/io/input-file';
import { checkOutputFile } from '../../lib/io/output-path';
import { checkPruneOptions, pruneModel, PRUNE_CRITERIA, type PruneCriterion } from '../../lib/prune';
import { emitJson, jsonOption, type JsonArgs } from './common-flags';

interface Args extends JsonArgs {
  weights: string;
  ratio: number;
  criterion: PruneCriterion;
  multiple: number;
  out: string;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const cmd: CommandModule<object, Args> = {
  command: 'prune',
  describe: 'Remove a fraction of the inner channels of a trained ResNet (then fine-tune with train --init)',
  builder: (y) =>
    jsonOption(y)
      .option('weights', { type: 'string', demandOption: true, describe: 'Trained weights (fp32, a ResNet)' })
      .option('ratio', {
        type: 'number',
        demandOption: true,
        describe: "Fraction of every block's inner channels removed, in (0, 1), e.g. 0.3",
      })
      .option('criterion', {
        choices: PRUNE_CRITERIA,
        default: 'bn' as PruneCriterion,
        describe: 'Which channels go: bn, the smallest BatchNorm |γ|; l1, the smallest filter L1 norm',
      })
      .option('multiple', {
        type: 'number',
        default: 1,
        describe: 'Keep a multiple of this many channels per conv (8 suits SIMD kernels)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output file (.safetensors)' })
      .check((a) => {
        for (const flag of ['weights', 'out', 'ratio', 'multiple'] as const)
          if (Array.isArray(a[flag])) throw new Error(`--${flag} is given more than once: give it once`);
        // The same checks as the API, with the flags' names.
        try {
          checkPruneOptions({ ratio: a.ratio, criterion: a.criterion, multiple: a.multiple });
        } catch (e) {
          throw new Error((e as Error).message.replace(/^prune: (\w+)/, '--$1'), { cause: e });
        }
        return true;
      })
      .strict(),
  handler: async (argv) => {
    checkInputFile(argv.weights, 'weights file', Number.MAX_SAFE_INTEGER);
    checkOutputFile(argv.out, '--out', 'model-pruned.safetensors');
    const { model } = await loadForEval(argv.weights, { device: 'cpu' });
    try {
      const started = Date.now();
      const r = await pruneModel(model, { ratio: argv.ratio, criterion: argv.criterion, multiple: argv.multiple });
      try {
        await r.model.save(argv.out, { pruned: JSON.stringify({ ratio: r.ratio, criterion: r.criterion }) });
        const seconds = (Date.now() - started) / 1000;
        const [before, after] = [fs.statSync(argv.weights).size, fs.statSync(argv.out).size];
        const removed = r.convs.reduce((n, c) => n + c.from - c.to, 0);
        const total = r.convs.reduce((n, c) => n + c.from, 0);
        console.error(
          `${argv.out}: ${model.config.arch}, ${removed} of ${total} inner channels removed (${r.criterion}), ` +
            `${(r.parametersAfter / 1e6).toFixed(2)}M parameters (was ${(r.parametersBefore / 1e6).toFixed(2)}M), ` +
            `${mib(after)} MiB (was ${mib(before)} MiB), in ${seconds.toFixed(1)} s`,
        );
        console.error(`fine-tune it: vgg2-torch train --arch ${model.config.arch} --init ${argv.out} ...`);
        emitJson(argv, {
          weights: argv.weights,
          out: argv.out,
          arch: model.config.arch,
          ratio: r.ratio,
          criterion: r.criterion,
          parametersBefore: r.parametersBefore,
          parametersAfter: r.parametersAfter,
          bytes: after,
          sourceBytes: before,
          innerWidths: r.model.config.innerWidths,
          convs: r.convs,
          seconds,
        });
      } finally {
        r.model.dispose();
      }
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
