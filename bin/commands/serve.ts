/** `vgg2-torch serve --weights W [--gallery G] [--port 8080] [--host 127.0.0.1]`: the HTTP face service. */
import type { CommandModule } from 'yargs';
import { loadForEval } from '../../lib/eval/load-model';
import type { EmbeddingOutput } from '../../lib/eval/embed';
import { describeGalleryWeights, Gallery, type SearchPrecision } from '../../lib/gallery';
import { precisionOption } from './gallery-options';
import { createService } from '../../lib/serve/server';
import { inputSize, inputSizeOption, type InputSizeArgs } from './common-flags';

interface Args extends InputSizeArgs {
  weights: string;
  gallery?: string;
  port: number;
  host: string;
  token?: string;
  threshold?: number;
  'window-ms': number;
  'max-batch': number;
  'max-queue': number;
  'max-body-mb': number;
  'max-megapixels': number;
  flip: boolean;
  precision: SearchPrecision;
  crop?: 'detect';
  decoder?: 'native' | 'sharp';
  output?: EmbeddingOutput;
  device: string;
}

const TOKEN_ENV = 'VGG2_SERVE_TOKEN';

const cmd: CommandModule<object, Args> = {
  command: 'serve',
  describe: 'HTTP service: embed, verify, search and enroll faces; a web page at /',
  builder: (y) =>
    precisionOption(inputSizeOption(y, 'Input height and width (px)', "the model's"))
      .option('weights', { type: 'string', demandOption: true, describe: 'Weights file' })
      .option('gallery', { type: 'string', describe: 'Gallery folder for /search and /enroll (created when absent)' })
      .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free port)' })
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'Address to listen on (0.0.0.0 exposes the service to the network)',
      })
      .option('token', {
        type: 'string',
        describe: `Bearer token for enroll and delete (default: $${TOKEN_ENV}; without one they are refused)`,
      })
      .option('threshold', {
        type: 'number',
        describe: "Same-person threshold (default: the weights' verify_threshold)",
      })
      .option('window-ms', { type: 'number', default: 5, describe: 'Longest wait for more images to batch (ms)' })
      .option('max-batch', { type: 'number', default: 16, describe: 'Images per forward pass' })
      .option('max-queue', { type: 'number', default: 256, describe: 'Images allowed to wait; more get 503' })
      .option('max-body-mb', { type: 'number', default: 16, describe: 'Largest image upload (MiB)' })
      .option('max-megapixels', { type: 'number', default: 40, describe: 'Largest image (width × height, millions)' })
      .option('flip', { type: 'boolean', default: false, describe: 'Flip test-time augmentation' })
      .option('crop', {
        choices: ['detect'] as const,
        describe: 'detect: align the largest face of each image (dlib); default: the whole image, centre crop',
      })
      .option('decoder', {
        choices: ['native', 'sharp'] as const,
        describe: 'JPEGs: native (as embed, a batch at a time; default when built with TurboJPEG) or sharp',
      })
      .option('output', { choices: ['features', 'embedding'] as const, describe: 'Pooled features or the embedding' })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda, cuda:N or auto' })
      .check((a) => {
        if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new Error('--port: 0 to 65535');
        for (const k of ['max-batch', 'max-queue'] as const)
          if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k}: a positive integer`);
        for (const k of ['max-body-mb', 'max-megapixels'] as const)
          if (!(a[k] > 0)) throw new Error(`--${k}: a positive number`);
        if (!(a['window-ms'] >= 0)) throw new Error('--window-ms: 0 or more');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    const { model, metadata } = await loadForEval(argv.weights, { device: argv.device, inputSize: inputSize(argv) });
    const size = inputSize(argv, model.inputSize);
    const stored = metadata.verify_threshold !== undefined ? Number(metadata.verify_threshold) : undefined;
    const gallery = argv.gallery
      ? await Gallery.open(argv.gallery, {
          create: true,
          weights: await describeGalleryWeights(argv.weights, model, argv.output),
          precision: argv.precision,
        })
      : undefined;
    const service = await createService({
      model,
      gallery,
      size,
      token: argv.token ?? process.env[TOKEN_ENV] ?? undefined,
      threshold: argv.threshold ?? (Number.isFinite(stored) ? stored : undefined),
      windowMs: argv['window-ms'],
      maxBatch: argv['max-batch'],
      maxQueue: argv['max-queue'],
      maxBodyBytes: Math.round(argv['max-body-mb'] * 1024 * 1024),
      maxPixels: Math.round(argv['max-megapixels'] * 1e6),
      flip: argv.flip,
      crop: argv.crop,
      decoder: argv.decoder,
      output: argv.output,
      describe: { weights: argv.weights, ...model.describe() },
    });
    const address = await service.app.listen({ port: argv.port, host: argv.host });
    console.log(`vgg2-torch serve: listening on ${address} (page at ${address}/, API at ${address}/openapi.json)`);
    const stop = async (signal: string) => {
      console.log(`vgg2-torch serve: ${signal}, finishing requests in flight`);
      await service.close();
      await gallery?.close();
      model.dispose();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  },
};

export default cmd;
