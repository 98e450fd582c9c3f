/**
 * Where a rank stands in a distributed job: given by the Trainer API or the CLI, or read from the
 * environment torchrun and SLURM set, so existing cluster launchers work unchanged.
 */
import * as os from 'os';
import { ConfigError } from '../train/config';

export interface DistributedOptions {
  /** This process's rank in [0, worldSize). */
  rank: number;
  worldSize: number;
  /** Rank on this machine (one device per local rank); default: rank. */
  localRank?: number;
  /** Ranks on this machine; default worldSize (one machine). */
  localWorldSize?: number;
  /** Rank 0's address (it serves the c10d TCPStore); default 127.0.0.1. */
  masterAddr?: string;
  /** Default 29500, as torchrun. */
  masterPort?: number;
  /**
   * Seconds a rank waits for the others (rendezvous and every collective) before it fails naming
   * itself; default 1800, as torch.distributed. It must cover rank 0's validation and checkpoints,
   * during which the others wait.
   */
  timeoutS?: number;
  /** gloo (CPU). */
  backend?: 'gloo';
}

export const DEFAULT_MASTER_PORT = 29500;
export const DEFAULT_TIMEOUT_S = 1800;

function envInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`environment ${name}=${text}: expected an integer >= ${min}`);
  return n;
}

/**
 * The torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
 * else SLURM's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; MASTER_ADDR still needed on several
 * nodes); undefined when neither is set. VGG2_DIST_TIMEOUT sets timeoutS.
 */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedOptions | undefined {
  const torchrun = env.RANK !== undefined || env.WORLD_SIZE !== undefined;
  const slurm = !torchrun && env.SLURM_PROCID !== undefined && env.SLURM_NTASKS !== undefined;
  if (!torchrun && !slurm) return undefined;
  const rank = envInt(env, torchrun ? 'RANK' : 'SLURM_PROCID', 0);
  const worldSize = envInt(env, torchrun ? 'WORLD_SIZE' : 'SLURM_NTASKS', 1);
  if (rank === undefined || worldSize === undefined)
    throw new ConfigError('set both RANK and WORLD_SIZE (torchrun sets them both)');
  const localRank = envInt(env, torchrun ? 'LOCAL_RANK' : 'SLURM_LOCALID', 0);
  const localWorldSize = envInt(env, torchrun ? 'LOCAL_WORLD_SIZE' : 'SLURM_NTASKS_PER_NODE', 1);
  const timeout = env.VGG2_DIST_TIMEOUT;
  const options: DistributedOptions = {
    rank,
    worldSize,
    localRank,
    localWorldSize,
    masterAddr: env.MASTER_ADDR || undefined,
    masterPort: envInt(env, 'MASTER_PORT', 1),
    timeoutS: timeout ? Number(timeout) : undefined,
  };
  return checkDistributed(options);
}

/** LibTorch threads for each of `localRanks` ranks on this machine: VGG2_THREADS, else an equal share of the cores. */
export function threadsPerRank(localRanks: number): number {
  const given = Number(process.env.VGG2_THREADS);
  return Number.isInteger(given) && given > 0 ? given : Math.max(1, Math.floor(os.cpus().length / localRanks));
}

/** Checked options with their defaults filled in. */
export function checkDistributed(o: DistributedOptions): Required<DistributedOptions> {
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new ConfigError(`distributed ${name} must be an integer in [${min}, ${max}], not ${v}`);
    return v;
  };
  const worldSize = int('worldSize', o.worldSize, 1);
  const rank = int('rank', o.rank, 0, worldSize - 1);
  const localWorldSize = int('localWorldSize', o.localWorldSize ?? worldSize, 1, worldSize);
  const localRank = int('localRank', o.localRank ?? rank % localWorldSize, 0, localWorldSize - 1);
  const masterPort = int('masterPort', o.masterPort ?? DEFAULT_MASTER_PORT, 1, 65535);
  const timeoutS = o.timeoutS ?? DEFAULT_TIMEOUT_S;
  if (!(timeoutS > 0) || !Number.isFinite(timeoutS))
    throw new ConfigError(`distributed timeoutS must be a number of seconds > 0, not ${timeoutS}`);
  const backend = o.backend ?? 'gloo';
  if (backend !== 'gloo') throw new ConfigError(`distributed backend '${String(backend)}': only 'gloo' is built in`);
  if (worldSize > 1 && localWorldSize < worldSize && !o.masterAddr)
    throw new ConfigError('several machines need masterAddr (MASTER_ADDR): the address of rank 0');
  return {
    rank,
    worldSize,
    localRank,
    localWorldSize,
    masterAddr: o.masterAddr ?? '127.0.0.1',
    masterPort,
    timeoutS,
    backend,
  };
}
