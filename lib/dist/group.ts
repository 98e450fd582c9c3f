/**
 * A c10d process group (ProcessGroupGloo, met through c10d's TCPStore) and the few small
 * collectives the Trainer needs besides the gradients: step metrics summed over ranks, an agreed
 * stop, rank 0's schedule state. Collectives queue on the native compute thread behind the steps,
 * so every rank issues them in the same order.
 */
import { native, type NativeProcessGroup } from '../native';
import { checkDistributed, type DistributedOptions } from './options';

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly localWorldSize: number;

  private constructor(
    readonly native: NativeProcessGroup,
    o: Required<DistributedOptions>,
  ) {
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.localRank = o.localRank;
    this.localWorldSize = o.localWorldSize;
  }

  /** Meets the other ranks; rejects naming this rank when they do not all come within the timeout. */
  static async join(options: DistributedOptions): Promise<ProcessGroup> {
    const o = checkDistributed(options);
    const binding = native();
    if (!binding.gloo)
      throw new Error(
        'this build of vgg2-torch has no c10d Gloo: apt-get install libgloo-dev, then npm rebuild vgg2-torch',
      );
    const group = await binding.createProcessGroup({
      rank: o.rank,
      worldSize: o.worldSize,
      masterAddr: o.masterAddr,
      masterPort: o.masterPort,
      timeoutMs: Math.round(o.timeoutS * 1000),
      backend: o.backend,
    });
    return new ProcessGroup(group, o);
  }

  /** Element-wise sums over the ranks. */
  async sum(values: number[]): Promise<number[]> {
    return Array.from(await this.native.allReduce(Float64Array.from(values)));
  }

  /** Rank 0's values on every rank. */
  async fromRoot(values: number[]): Promise<number[]> {
    return Array.from(await this.native.broadcast(Float64Array.from(values), 0));
  }

  barrier(): Promise<void> {
    return this.native.barrier();
  }

  close(): void {
    this.native.close();
  }
}
