/**
 * `npm run bench [-- --only NAME[,NAME] --rounds N --quick --json FILE]`: every suite in
 * benchmarks/suites, ours against PyTorch on this machine, as ratios measured in one run.
 * Opt-in (long) suites run only when named in --only.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { writeFileAtomic } from '../lib/io/atomic-write';
import { Row, Suite } from './harness';

function loadSuites(): Suite[] {
  const dir = path.join(__dirname, 'suites');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()
    .map((f) => (require(path.join(dir, f)) as { default: Suite }).default);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const suites = loadSuites();
  const only = arg('only')?.split(',');
  const unknown = only?.filter((n) => !suites.some((s) => s.name === n));
  if (unknown?.length) throw new Error(`unknown suite(s) ${unknown.join(', ')}; have ${suites.map((s) => s.name).join(', ')}`);
  const rounds = Number(arg('rounds') ?? 3);
  const quick = process.argv.includes('--quick');
  const smoke = process.argv.includes('--smoke');
  const log = (line: string) => console.error(line);
  const rows: Row[] = [];
  for (const suite of suites) {
    if (only ? !only.includes(suite.name) : suite.optIn) {
      if (!only) log(`== ${suite.name}: opt-in, skipped (npm run bench -- --only ${suite.name})`);
      continue;
    }
    log(`== ${suite.name}: ${suite.describe}`);
    rows.push(...(await suite.run({ rounds, quick, smoke, arg, log })));
  }
  const machine = `${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`;
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${machine} · node ${process.version}\n`);
  console.log('| suite | config | ours | PyTorch | ours/PyTorch | target |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const target = r.target !== undefined ? `≥ ${r.target}` : r.targetMax !== undefined ? `≤ ${r.targetMax}` : '';
    const baseline = r.baseline ? ` (${r.baseline})` : '';
    console.log(`| ${r.suite} | ${r.config} | ${r.ours.toFixed(2)} ${r.unit} | ${r.pytorch.toFixed(2)} ${r.unit}${baseline} | ${r.ratio.toFixed(3)} | ${target} |`);
  }
  const out = arg('json');
  if (out) writeFileAtomic(out, JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2));
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
