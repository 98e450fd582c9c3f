/**
 * `npm run bench [-- --only NAME[,NAME] --rounds N --quick --json FILE]`: every suite in
 * benchmarks/suites, ours against PyTorch on this machine, as ratios measured in one run.
 * Opt-in (long) suites run only when named in --only.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../lib/io/atomic-write';
import { Row, Suite } from './harness';

function loadSuites(): Suite[] {
  const dir = path.join(__dirname, 'suites');
  return (
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .sort()
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- suites are found at run time
      .map((f) => (require(path.join(dir, f)) as { default: Suite }).default)
  );
}

function parseArgs(suites: Suite[]) {
  const parser = yargs(hideBin(process.argv))
    .usage('npm run bench -- [options]')
    .option('only', { type: 'string', describe: 'Suites to run, comma-separated (opt-in ones run only when named)' })
    .option('rounds', { type: 'number', default: 3, describe: 'Timed rounds per measurement' })
    .option('quick', { type: 'boolean', default: false, describe: 'Fewer, smaller measurements' })
    .option('smoke', { type: 'boolean', default: false, describe: 'A few steps only: checks that the suites run' })
    .option('json', { type: 'string', describe: 'Also write the rows as JSON here' });
  for (const suite of suites)
    for (const [flag, describe] of Object.entries(suite.flags ?? {}))
      parser.option(flag, { type: 'string', describe: `${suite.name}: ${describe}` });
  return parser.strict().parseSync();
}

async function main(): Promise<void> {
  const suites = loadSuites();
  const argv = parseArgs(suites);
  // The suites read the flags they declare by name.
  const arg = (name: string) => (argv[name] === undefined ? undefined : String(argv[name]));
  const { rounds, quick, smoke } = argv;
  const only = argv.only?.split(',');
  const unknown = only?.filter((n) => !suites.some((s) => s.name === n));
  if (unknown?.length)
    throw new Error(`unknown suite(s) ${unknown.join(', ')}; have ${suites.map((s) => s.name).join(', ')}`);
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
    console.log(
      `| ${r.suite} | ${r.config} | ${r.ours.toFixed(2)} ${r.unit} | ${r.pytorch.toFixed(2)} ${r.unit}${baseline} | ${r.ratio.toFixed(3)} | ${target} |`,
    );
  }
  const out = argv.json;
  if (out) writeFileAtomic(out, JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2));
}

main().catch((err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
