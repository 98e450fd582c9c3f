/** `vgg2-torch info`: the LibTorch build, devices, threads and precision support, readably (or --json). */
import type { CommandModule } from 'yargs';
import { info } from '../../lib/info';

interface Args {
  json: boolean;
}

const command: CommandModule<object, Args> = {
  command: 'info',
  describe: 'Show the LibTorch build, devices, threads and precision support',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }).strict(),
  handler: (argv) => {
    const i = info();
    if (argv.json) {
      console.log(JSON.stringify(i));
      return;
    }
    const rows: Array<[string, string]> = [
      ['vgg2-torch', i.version],
      ['LibTorch', i.libtorch],
      ['CUDA', i.cuda ? 'yes' : 'no'],
      ['devices', i.devices.join(', ')],
      ['threads', `${i.threads} of ${i.cores} cores (VGG2_THREADS or --threads to change)`],
      ['CPU', i.cpu.model],
      ['bf16', i.bf16 ? `yes (${[i.cpu.avx512bf16 && 'AVX-512 BF16', i.cpu.amx && 'AMX', i.cuda && 'CUDA'].filter(Boolean).join(', ')})` : 'autocast only (no bf16 hardware)'],
      ['int8 engines', i.quantizedEngines.filter((e) => e !== 'NoQEngine').join(', ') || 'none'],
      ['oneDNN (MKL-DNN)', i.mkldnn ? 'yes' : 'no'],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  },
};

export default command;
