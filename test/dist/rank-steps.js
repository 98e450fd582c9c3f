// One rank of the data-parallel equivalence test (test/dist/ddp.test.ts), or the single-process
// reference: K SGD steps of a small ResNet-50 on a fixed global batch, then the weights saved.
//   node rank-steps.js OUT RANK WORLD PORT [MODE]  (WORLD 1: the whole global batch in one process)
// MODE frozen (default): BatchNorm frozen, two micro-batches per step (the first accumulates without
// communicating); MODE syncbn: BatchNorm training with SyncBatchNorm, one batch per step.
// Rank r trains on slice r of each global batch, as the distributed sampler gives it. Rank 1 starts
// from another seed: joinProcessGroup must replace its weights with rank 0's.
const { Model, ProcessGroup } = require('../../dist/lib');

const [out, rankText, worldText, portText, mode = 'frozen'] = process.argv.slice(2);
const sync = mode === 'syncbn';
// Train-mode BatchNorm at 4 images per rank is chaotic over several steps (1e-5 in one step is 1e-2 in
// the next, even between two layouts of one process): SyncBatchNorm is checked on one step's update.
const STEPS = sync ? 1 : 3;
const rank = Number(rankText);
const world = Number(worldText);
const GLOBAL = 8;
const SIZE = 64;

function globalBatch(step) {
  // A fixed pseudo-random batch per step (an LCG), the same in every process.
  let s = 12345 + step * 7919;
  const data = new Uint8Array(GLOBAL * SIZE * SIZE * 3);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  const labels = Int32Array.from({ length: GLOBAL }, (_, i) => (i * 3 + step) % 5);
  return { data, labels };
}

(async () => {
  const model = await Model.create({
    numClasses: 5,
    inputSize: SIZE,
    seed: rank === 1 ? 99 : 7,
    amp: 'off',
    channelsLast: true,
  });
  let group;
  if (world > 1) {
    group = await ProcessGroup.join({ rank, worldSize: world, masterPort: Number(portText), timeoutS: 60 });
    await model.joinProcessGroup(group, { syncBatchNorm: sync });
  }
  if (world === 1) await model.save(`${out}.init`);
  const per = GLOBAL / world;
  for (let step = 0; step < STEPS; step++) {
    const { data, labels } = globalBatch(step);
    const x = data.subarray(rank * per * SIZE * SIZE * 3, (rank + 1) * per * SIZE * SIZE * 3);
    const micro = sync ? 1 : 2;
    const part = per / micro;
    for (let k = 0; k < micro; k++) {
      await model.trainStep(
        x.subarray(k * part * SIZE * SIZE * 3, (k + 1) * part * SIZE * SIZE * 3),
        [part, SIZE, SIZE, 3],
        labels.subarray(rank * per + k * part, rank * per + (k + 1) * part),
        { lr: 0.002, apply: k === micro - 1, lossDivisor: micro, freezeBatchNorm: !sync },
      );
    }
  }
  await model.save(out);
  group?.close();
  model.dispose();
})().catch((e) => {
  process.stderr.write(`rank ${rank}: ${e.stack}\n`);
  process.exit(1);
});
