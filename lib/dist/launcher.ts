/**
 * The local launcher behind `train --nproc-per-node N`, as torchrun: starts N copies of this
 * command with the torchrun variables set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR, MASTER_PORT) and supervises them. When one fails, it names the rank and stops the
 * others (SIGTERM, then SIGKILL after a grace period); Ctrl-C is passed on once, so rank 0 saves a
 * checkpoint before every rank stops. Workers run in their own process groups (a terminal's Ctrl-C
 * reaches only the launcher) and die with it: each exits when its IPC channel to the launcher
 * closes (watchLauncher), so even a SIGKILLed launcher leaves no orphan.
 */
import { spawn, type ChildProcess } from 'child_process';
import { DEFAULT_MASTER_PORT, DEFAULT_TIMEOUT_S, threadsPerRank } from './options';

export interface LaunchOptions {
  nprocPerNode: number;
  /** Machines in the job (default 1) and this one's index (default 0). */
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** Seconds a rank waits for the others (VGG2_DIST_TIMEOUT in the workers). */
  timeoutS?: number;
  /** What each worker runs: node with these arguments (default: this process's own command line). */
  args?: string[];
  /** Seconds between SIGTERM and SIGKILL when stopping the others after a failure (default 10). */
  graceS?: number;
  /** Where the launcher's own messages go (default stderr). */
  log?: (message: string) => void;
  /** Called with each worker's pid once started (tests, supervisors). */
  onStart?: (rank: number, pid: number) => void;
  /** Workers' stdout and stderr go here instead of this process's (default: inherited). */
  output?: (rank: number, text: string) => void;
}

export interface LaunchResult {
  /** 0 when every rank succeeded; 130 when stopped by a signal; otherwise the first failure's code (or 1). */
  exitCode: number;
  /** The first rank that failed, if any. */
  failedRank?: number;
}

export const LAUNCHED_ENV = 'VGG2_LAUNCHED';

/** In a worker the launcher started: exit at once when the launcher goes away. */
export function watchLauncher(): void {
  if (process.env[LAUNCHED_ENV] !== '1' || !process.send) return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  // The channel must not keep a finished worker alive.
  process.channel?.unref();
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export function launch(o: LaunchOptions): Promise<LaunchResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const n = o.nprocPerNode;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--nproc-per-node must be an integer >= 1, not ${n}`);
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new RangeError(`--nnodes must be an integer >= 1, not ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes)
    throw new RangeError(`--node-rank must be an integer in [0, ${nnodes - 1}], not ${nodeRank}`);
  if (nnodes > 1 && !o.masterAddr) throw new RangeError('--nnodes > 1 needs --master-addr (the address of node 0)');
  const world = nnodes * n;
  const args = o.args ?? [...process.execArgv, ...process.argv.slice(1)];
  const threads = String(threadsPerRank(n));
  const children: (ChildProcess | undefined)[] = [];
  const alive = new Set<number>();
  let failed: { rank: number; code: number } | undefined;
  let interrupted = false;
  let killTimer: NodeJS.Timeout | undefined;

  const stopOthers = (signal: NodeJS.Signals) => {
    for (const r of alive) children[r]?.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      log(`vgg2-torch: ${signal} again: killing every rank`);
      stopOthers('SIGKILL');
      return;
    }
    interrupted = true;
    log(`vgg2-torch: ${signal}: every rank stops at the next step, rank 0 saves a checkpoint (again to kill)`);
    stopOthers('SIGINT');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return new Promise((resolve) => {
    for (let local = 0; local < n; local++) {
      const rank = nodeRank * n + local;
      const env = {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(world),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(n),
        MASTER_ADDR: o.masterAddr ?? '127.0.0.1',
        MASTER_PORT: String(o.masterPort ?? DEFAULT_MASTER_PORT),
        VGG2_DIST_TIMEOUT: String(o.timeoutS ?? DEFAULT_TIMEOUT_S),
        VGG2_THREADS: threads,
        [LAUNCHED_ENV]: '1',
      };
      const child = spawn(process.execPath, args, {
        env,
        detached: true,
        stdio: ['ignore', o.output ? 'pipe' : 'inherit', o.output ? 'pipe' : 'inherit', 'ipc'],
      });
      if (o.output) {
        const forward = (d: Buffer) => o.output!(rank, d.toString());
        child.stdout?.on('data', forward);
        child.stderr?.on('data', forward);
      }
      children[rank - nodeRank * n] = child;
      alive.add(local);
      if (child.pid !== undefined) o.onStart?.(rank, child.pid);
      child.on('error', (e) => log(`vgg2-torch: rank ${rank}: ${e.message}`));
      child.on('exit', (code, signal) => {
        alive.delete(local);
        const ok = code === 0;
        if (!ok && !failed && !interrupted) {
          failed = { rank, code: code && code !== 130 ? code : 1 };
          const others = [...alive].map((l) => nodeRank * n + l);
          log(
            `vgg2-torch: rank ${rank} (pid ${child.pid}) ${describeExit(code, signal)}` +
              (others.length ? `; stopping rank${others.length > 1 ? 's' : ''} ${others.join(', ')}` : ''),
          );
          stopOthers('SIGTERM');
          killTimer = setTimeout(() => stopOthers('SIGKILL'), (o.graceS ?? 10) * 1000);
          killTimer.unref();
        }
        if (alive.size) return;
        if (killTimer) clearTimeout(killTimer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(failed ? { exitCode: failed.code, failedRank: failed.rank } : { exitCode: interrupted ? 130 : 0 });
      });
    }
  });
}
