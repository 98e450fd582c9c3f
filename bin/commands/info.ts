/** `vgg2-torch info`: the LibTorch build, devices, threads and precision support, readably (or --json). */
import type { CommandModule } from 'yargs';
import { Info, info } from '../../lib/info';

interface Args {
  json: boolean;
}

function cudaLine(i: Info): string {
  if (i.cuda) return `yes (CUDA ${i.cudaRuntime}, cuDNN ${i.cudnn ?? 'none'}, driver ${i.cudaDriver})`;
  if (i.cudaDevices.length) {
    return (
      `no: the driver reports ${i.cudaDevices.length} GPU(s) but this LibTorch is CPU-only; rebuild with ` +
      "LIBTORCH=$(python3 -c 'import torch,os; print(os.path.dirname(torch.__file__))') npm run build:native"
    );
  }
  return 'no';
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
    const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
    const rows: Array<[string, string]> = [
      ['vgg2-torch', i.version],
      ['LibTorch', i.libtorch],
      ['CUDA', cudaLine(i)],
      ['devices', i.devices.join(', ')],
      ...i.cudaDevices.map((d): [string, string] => [
        `  cuda:${d.index}`,
        `${d.name}, ${gib(d.totalMemory)} GiB, capability ${d.capability}, ${d.multiprocessors} SMs; precisions ${d.precisions.join(', ')}`,
      ]),
      ...(i.cuda
        ? ([
            ['cuDNN benchmark', `${i.cudnnBenchmark ? 'on' : 'off'} (VGG2_CUDNN_BENCHMARK=0 turns it off)`],
            [
              'TF32',
              `convolutions ${i.tf32.conv ? 'on' : 'off'}, matmuls ${i.tf32.matmul ? 'on' : 'off'} (VGG2_TF32=0|1)`,
            ],
          ] as Array<[string, string]>)
        : []),
      ['threads', `${i.threads} of ${i.cores} cores (VGG2_THREADS or --threads to change)`],
      ['CPU', i.cpu.model],
      [
        'bf16',
        i.bf16
          ? `yes (${[i.cpu.avx512bf16 && 'AVX-512 BF16', i.cpu.amx && 'AMX', i.cuda && 'CUDA'].filter(Boolean).join(', ')})`
          : 'autocast only (no bf16 hardware)',
      ],
      ['int8 engines', i.quantizedEngines.filter((e) => e !== 'NoQEngine').join(', ') || 'none'],
      ['oneDNN (MKL-DNN)', i.mkldnn ? 'yes' : 'no'],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  },
};

export default command;
