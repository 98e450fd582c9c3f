/**
 * `node dist/benchmarks/onnxruntime-probe.js MODEL.onnx SIZE BATCH STEPS WARMUP THREADS`: an
 * exported model's forward in onnxruntime-node (CPU, THREADS intra-op threads) on one fixed batch
 * of pixels, alone in its process as `vgg2-torch bench infer` is in its own. Prints one JSON line
 * with the fields bench infer prints (median step time, images per second).
 */
import * as ort from 'onnxruntime-node';
import { median } from '../lib/bench/median';

async function main(): Promise<void> {
  const [model, size, batch, steps, warmup, threads] = process.argv.slice(2);
  const [s, n] = [Number(size), Number(batch)];
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const pixels = Float32Array.from({ length: n * s * s * 3 }, (_, i) => (i * 7) & 255);
  const feeds = { input: new ort.Tensor('float32', pixels, [n, s, s, 3]) };
  for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < Number(steps); i++) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  await session.release();
  const med = median(times);
  console.log(
    JSON.stringify({
      impl: 'onnxruntime-node',
      version: ort.env.versions.node,
      size: s,
      batch: n,
      threads: Number(threads),
      step_ms: Math.round(med * 1e4) / 10,
      img_per_s: Math.round((n / med) * 100) / 100,
    }),
  );
}

main().catch((e) => {
  console.error(`onnxruntime-probe: ${(e as Error).message}`);
  process.exit(1);
});
