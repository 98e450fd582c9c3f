// Training steps in one precision on one fixed batch: prints one JSON line with the losses, how
// many fp16 steps the loss scaler skipped, the final loss scale, and whether the loss went down
// with every value finite.
'use strict';
const { lib, flags, noiseBatch } = require('./stage');

async function main() {
  const a = { device: 'cpu', amp: 'bf16', steps: 20, size: 112, batch: 32, classes: 8, lr: 0.01, ...flags() };
  const { Model } = lib('model');
  const model = await Model.create({
    arch: a.arch || 'resnet50',
    numClasses: a.classes,
    device: a.device,
    amp: a.amp,
    channelsLast: true,
    seed: 0,
  });
  const { x, labels, shape } = noiseBatch(a.batch, a.size, a.classes);
  const losses = [];
  let skipped = 0;
  let lossScale = 1;
  try {
    for (let i = 0; i < a.steps; i++) {
      const r = await model.trainStep(x, shape, labels, { lr: a.lr });
      losses.push(r.loss);
      if (r.skipped) skipped++;
      lossScale = r.lossScale;
    }
  } finally {
    model.dispose();
  }
  const finite = losses.every(Number.isFinite);
  const head = (losses[0] + losses[1]) / 2;
  const tail = (losses[losses.length - 1] + losses[losses.length - 2]) / 2;
  // Skipped fp16 steps are the scaler finding its level (a few at 65536), not failures.
  const ok = finite && tail < head * 0.7 && skipped < a.steps / 2;
  console.log(
    JSON.stringify({
      amp: a.amp,
      device: a.device,
      steps: a.steps,
      first: losses[0],
      last: losses[losses.length - 1],
      head,
      tail,
      finite,
      skipped,
      lossScale,
      ok,
    }),
  );
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
