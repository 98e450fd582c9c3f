/** Shared by the eval command tests: the commands run in-process through yargs, tiny weights files. */
import * as fs from 'fs';
import yargs from 'yargs';
import embed from '../../bin/commands/embed';
import evalCmd from '../../bin/commands/eval';
import verify from '../../bin/commands/verify';
import { Model } from '../../lib/model';

/** Runs `vgg2-torch ARGS`; returns stdout and stderr lines (an error rejects). */
export async function cli(args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await yargs(args)
      .command(evalCmd)
      .command(embed)
      .command(verify)
      .strict()
      .fail((msg, e) => {
        throw e ?? new Error(msg);
      })
      .parseAsync();
  } finally {
    log.mockRestore();
    error.mockRestore();
    warn.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n') };
}

/** A randomly initialised ResNet-50 at 32 px saved as safetensors (seconds). */
export async function tinyWeights(file: string, seed = 1, numClasses = 4): Promise<string> {
  const m = await Model.create({ arch: 'resnet50', numClasses, seed, inputSize: 32 });
  await m.save(file);
  m.dispose();
  return file;
}

/** The header length, header and tensor bytes of a safetensors file. */
export function splitSafetensors(file: string): { header: Record<string, unknown>; data: Buffer } {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.toString('utf8', 8, 8 + n)), data: buf.subarray(8 + n) };
}

/** Copies weights with one tensor's values all NaN (a diverged run), header untouched. */
export function nanWeights(src: string, dst: string, tensor = 'conv1.weight'): string {
  const buf = Buffer.from(fs.readFileSync(src));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<string, { data_offsets: [number, number] }>;
  // The first convolution: NaN reaches every output (features, embedding, logits).
  const [b, e] = header[tensor].data_offsets;
  for (let o = 8 + n + b; o + 4 <= 8 + n + e; o += 4) buf.writeFloatLE(NaN, o);
  fs.writeFileSync(dst, buf);
  return dst;
}
