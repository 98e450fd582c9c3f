/**
 * `vgg2-torch convert`: weights from the VGGFace2 authors' releases (Caffe-converted PyTorch
 * state_dicts, VGGFace2-pytorch's .pkl of numpy arrays) or any PyTorch state_dict into this
 * package's safetensors, with the model's description (arch, variant, classes, normalisation), so
 * that every command loads them by themselves.
 */
import type { CommandModule } from 'yargs';
import { checkInputFile } from '../../lib/io/input-file';
import { checkOutputFile } from '../../lib/io/output-path';
import { describeWeights, Model, type Arch } from '../../lib/model';
import { emitJson, jsonOption, type JsonArgs } from './common-flags';

interface Args extends JsonArgs {
  in: string;
  out: string;
  arch?: Arch;
}

const cmd: CommandModule<object, Args> = {
  command: 'convert',
  describe:
    "Convert weights (the paper's Caffe-converted .pth, VGGFace2-pytorch .pkl, a state_dict) to safetensors or a state_dict",
  builder: (y) =>
    jsonOption(y)
      .option('in', {
        type: 'string',
        demandOption: true,
        describe: 'Weights: a PyTorch state_dict (.pth), a pickled dict of numpy arrays (.pkl) or safetensors',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Output: .safetensors (with the description), or .pth (a state_dict for torch.load)',
      })
      .option('arch', {
        choices: ['resnet50', 'senet50'] as const,
        describe: 'Architecture (default: from the names: SE layers make it senet50)',
      })
      .check((a) => {
        if (!/\.(safetensors|pth|pt)$/.test(a.out)) throw new Error('--out must end in .safetensors, .pth or .pt');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    checkInputFile(argv.in, 'weights file', Number.MAX_SAFE_INTEGER);
    checkOutputFile(argv.out, '--out', 'model.safetensors');
    const described = await describeWeights(argv.in);
    const model = await Model.create({ ...described, ...(argv.arch ? { arch: argv.arch } : {}), device: 'cpu' });
    try {
      const { metadata } = await model.load(argv.in);
      const pytorch = !argv.out.endsWith('.safetensors');
      await model.save(argv.out, metadata.layout ? { converted_from: metadata.layout } : {}, {
        format: pytorch ? 'pytorch' : 'safetensors',
      });
      const d = model.describe();
      const result = {
        in: argv.in,
        out: argv.out,
        layout: metadata.layout ?? 'torchvision',
        arch: d.arch,
        variant: d.variant ?? 'torchvision',
        numClasses: d.numClasses,
        embeddingDim: d.embeddingDim,
        inputSize: d.inputSize,
        normalization: d.normalization,
      };
      console.error(
        `${argv.out}: ${result.arch} (${result.variant}), ${result.numClasses} classes${d.embeddingDim ? `, ${d.embeddingDim}-d embedding` : ''}, from ${result.layout} names; input ${d.inputSize} px, mean ${d.normalization.mean.join(', ')}`,
      );
      if (pytorch)
        console.error(
          `note: a PyTorch state_dict has no room for this description: load it with Model.fromFile(file, { variant: '${result.variant}', normalization: { mean: [${d.normalization.mean.join(', ')}], std: [${d.normalization.std.join(', ')}] }, inputSize: ${d.inputSize} })`,
        );
      emitJson(argv, result);
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
