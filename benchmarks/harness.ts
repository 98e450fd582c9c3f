/**
 * Shared pieces of `npm run bench`: run our CLI and the PyTorch reference alternately, several
 * rounds, in one run, and compare medians as ratios (ours / PyTorch) — never timings from
 * different runs.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { median } from '../lib/bench/median';

export { median };

export const repoRoot = path.resolve(__dirname, '..', '..'); // dist/benchmarks -> repo
export const referenceDir = path.resolve(repoRoot, '..', 'shared', 'reference');
export const systemPython = '/usr/bin/python3';

export interface Row {
  suite: string;
  config: string;
  unit: string;
  ours: number;
  pytorch: number;
  /** ours / PyTorch for throughputs; the target the issue sets. */
  ratio: number;
  target?: number;
  /** An upper bound on the ratio instead (times). */
  targetMax?: number;
  /** What the PyTorch column holds when it is not PyTorch (our own baseline). */
  baseline?: string;
  rounds: number;
}

export interface SuiteOptions {
  rounds: number;
  quick: boolean;
  /** A minimal run that only shows the suite works end to end (hidden flag --smoke). */
  smoke: boolean;
  /** The value of a suite's own flag (--name VALUE). */
  arg: (name: string) => string | undefined;
  log: (line: string) => void;
}

export interface Suite {
  name: string;
  describe: string;
  /** Long suites run only when named in --only. */
  optIn?: boolean;
  /** The suite's own flags (name -> help text), declared so that --help lists them and a typo is an error. */
  flags?: Record<string, string>;
  run(options: SuiteOptions): Promise<Row[]>;
}

/** Runs a command that prints one JSON line on stdout (its last line) and returns it parsed. */
export function jsonLine(
  command: string,
  args: string[],
  cwd = repoRoot,
  env: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- another program's JSON line
): Record<string, any> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Our CLI's JSON line; `env` adds variables (e.g. VGG2_CPU_CACHE_MB) for this run. */
export const ourCli = (args: string[], env: Record<string, string> = {}) =>
  jsonLine(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), ...args], repoRoot, env);
export const reference = (script: string, args: string[]) =>
  jsonLine(systemPython, [path.join(referenceDir, script), ...args], referenceDir);

/** Alternates ours and PyTorch `rounds` times on one config; medians of the given metric. */
export function alternate(
  rounds: number,
  ours: () => Record<string, unknown>,
  theirs: () => Record<string, unknown>,
  metric: string,
  log: (l: string) => void,
) {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(Number(ours()[metric]));
    b.push(Number(theirs()[metric]));
    log(`  round ${r + 1}/${rounds}: ours ${a[r]} / pytorch ${b[r]} ${metric}`);
  }
  return { ours: median(a), pytorch: median(b) };
}

/** Our CLI, its output files read afterwards (eval, quantize and train write reports, not one JSON line). */
export function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vgg2-torch ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
}

/** `vgg2-torch eval` of `weights` (crop none), its report written to `out`: the report's metrics. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- eval's report JSON
export function evalMetrics(weights: string, args: string[], out: string): Record<string, any> {
  cli(['eval', '--weights', weights, ...args, '--crop', 'none', '--json', out]);
  return JSON.parse(fs.readFileSync(out, 'utf8')).metrics;
}
