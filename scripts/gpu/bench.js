// Our side of the throughput table: a training step (forward, loss, backward, SGD, loss scaling in
// fp16) and an inference forward (logits + features back on the host) on one fixed uint8 NHWC
// batch that crosses from host memory to the device every step, as the data pipeline's batches
// do. Prints one JSON line; img/s is the median step's. scripts/gpu/torch_bench.py does the same
// work in PyTorch.
'use strict';
const { lib, flags, noiseBatch, median } = require('./stage');

async function timeSteps(step, warmup, steps) {
  for (let i = 0; i < warmup; i++) await step();
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t = process.hrtime.bigint();
    await step();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(times);
}

async function main() {
  const a = {
    arch: 'resnet50',
    device: 'cpu',
    amp: 'off',
    size: 224,
    batch: 256,
    classes: 8631,
    steps: 15,
    warmup: 5,
    ...flags(),
  };
  const { Model } = lib('model');
  const model = await Model.create({
    arch: a.arch,
    numClasses: a.classes,
    device: a.device,
    amp: a.amp,
    channelsLast: !!a['channels-last'],
    seed: 0,
  });
  const { x, labels, shape } = noiseBatch(a.batch, a.size, a.classes);
  try {
    const train = await timeSteps(() => model.trainStep(x, shape, labels, { lr: 0.01 }), a.warmup, a.steps);
    const infer = await timeSteps(() => model.forward(x, shape), a.warmup, a.steps);
    const { info } = lib('info');
    console.log(
      JSON.stringify({
        impl: 'vgg2-torch',
        libtorch: info().libtorch,
        arch: a.arch,
        device: a.device,
        amp: a.amp,
        channels_last: !!a['channels-last'],
        size: a.size,
        batch: a.batch,
        train_step_ms: +(train * 1e3).toFixed(1),
        train_img_per_s: +(a.batch / train).toFixed(1),
        infer_step_ms: +(infer * 1e3).toFixed(1),
        infer_img_per_s: +(a.batch / infer).toFixed(1),
      }),
    );
  } finally {
    model.dispose();
  }
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
