/** The Trainer on cached data against the bare native step on one fixed batch: our code vs our code. */
import { benchOverhead } from '../train-overhead';
import type { Suite } from '../harness';

const suite: Suite = {
  name: 'trainer-overhead',
  describe:
    'Trainer (loader, schedule, metrics) vs the bare native training step, ResNet-50 64px batch 16 bf16; target ≤ 3% slower',
  async run({ rounds, quick, smoke, log }) {
    return [await benchOverhead({ steps: smoke ? 3 : quick ? 30 : 60, rounds: smoke ? 1 : rounds, log })];
  },
};

export default suite;
