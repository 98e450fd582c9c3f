/**
 * `vgg2-torch distill --teacher W --student A ...`: `train` with a teacher (lib/train/distill.ts).
 * Every train flag works; --student names the student network (train's --arch).
 */
import type { Argv, CommandModule } from 'yargs';
import { ARCHS, type Arch } from '../../lib/archs';
import { ConfigError } from '../../lib/train/config';
import train from './train';

type TrainArgs = Parameters<typeof train.handler>[0];
type Args = TrainArgs & { student?: Arch; arch?: Arch; teacher?: string };

const cmd: CommandModule<object, Args> = {
  command: 'distill',
  describe: 'Train a smaller student from a trained teacher (knowledge distillation): train with --teacher',
  builder: (y: Argv) =>
    (train.builder as (y: Argv) => Argv)(y)
      .option('student', { choices: ARCHS, describe: 'The student network (the same as --arch)' })
      .example(
        '$0 distill --teacher runs/r50/model.safetensors --student mobilefacenet --data faces/ --input-size 112',
        'MobileFaceNet learns ResNet-50’s embeddings (and the labels)',
      ) as unknown as Argv<Args>,
  handler: async (argv) => {
    if (argv.resume) return train.handler({ ...argv, student: undefined });
    if (!argv.teacher) throw new ConfigError('distill needs --teacher (the trained model file to learn from)');
    if (argv.student && argv.arch && argv.student !== argv.arch)
      throw new ConfigError(`--student ${argv.student} and --arch ${argv.arch} disagree: give one`);
    const arch = argv.student ?? argv.arch;
    if (!arch) throw new ConfigError(`distill needs --student (one of ${ARCHS.join(', ')})`);
    return train.handler({ ...argv, arch, student: undefined });
  },
};

export default cmd;
