// Our half of the oracle comparison: loads DIR/weights.pth (written by the reference oracle.py),
// runs DIR/input.npy through it on --device in fp32 and writes DIR/ours_{features,logits}.npy
// for compare.py. TF32 is off when VGG2_TF32=0 is in the environment (gpu-check.sh sets it).
'use strict';
const path = require('path');
const { lib, flags } = require('./stage');

async function main() {
  const a = flags();
  const { Model } = lib('model');
  const { readNpy, writeNpy } = lib('io/npy');
  const model = await Model.fromFile(path.join(a.dir, 'weights.pth'), { device: a.device || 'cpu' });
  try {
    const input = readNpy(path.join(a.dir, 'input.npy'));
    const out = await model.forward(input.data, input.shape);
    const n = input.shape[0];
    writeNpy(path.join(a.dir, 'ours_features.npy'), { shape: [n, out.features.length / n], data: out.features });
    writeNpy(path.join(a.dir, 'ours_logits.npy'), { shape: [n, out.logits.length / n], data: out.logits });
  } finally {
    model.dispose();
  }
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
