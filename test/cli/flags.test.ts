/** One vocabulary across commands (issue 18.4) and usage errors that say what to type (18.9). */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { repoRoot, tmpDir } from '../helpers/paths';
import { levenshtein, nearestFlag } from '../../bin/usage-errors';
import { configFromArgs } from '../../bin/commands/train';

const BIN = path.join(repoRoot, 'bin', 'vgg2-torch.js');
function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const help = (cmd: string[]) => run([...cmd, '--help']).stdout;
/** The help entry of one flag (with its wrapped lines), whitespace collapsed; undefined when not shown. */
function line(text: string, flag: string): string | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s+${flag}(\\s|,|$)`).test(l));
  if (at < 0) return undefined;
  let end = at + 1;
  while (end < lines.length && /^\s{6,}[^\s-]/.test(lines[end])) end++;
  return lines.slice(at, end).join(' ').replace(/\s+/g, ' ').trim();
}

describe('one vocabulary', () => {
  const commands = [
    ['train'],
    ['eval'],
    ['embed'],
    ['verify'],
    ['bench', 'train'],
    ['bench', 'infer'],
    ['bench', 'loader'],
    ['prepare'],
  ];
  const helps = new Map(commands.map((c) => [c.join(' '), help(c)]));

  test('every command that takes an input size calls it --input-size; --size is hidden', () => {
    for (const [cmd, text] of helps) {
      expect([cmd, line(text, '--input-size')]).toEqual([cmd, expect.stringContaining('--input-size')]);
      expect([cmd, line(text, '--size')]).toEqual([cmd, undefined]);
    }
  });

  test('--json means the same wherever it exists; --amp defaults to auto in train and bench', () => {
    // train and embed write files of their own (--out); help text wraps: compare with whitespace collapsed.
    const meaning =
      'Machine-readable result: --json FILE writes it to FILE; --json - (or a bare --json last) prints it';
    for (const [cmd, text] of helps)
      if (cmd !== 'train' && cmd !== 'embed' && cmd !== 'prepare')
        expect([cmd, text.replace(/\s+/g, ' ')]).toEqual([cmd, expect.stringContaining(meaning)]);
    for (const cmd of ['train', 'bench train', 'bench infer'])
      expect(line(helps.get(cmd)!, '--amp')).toMatch(/default: "?auto"?/);
  });

  test('--strict exists and means the same in every command that reads a dataset', () => {
    const meaning =
      'Fail on the first unusable image, list line, box row or cache record instead of counting and skipping it';
    for (const cmd of ['eval', 'embed', 'prepare'])
      expect([cmd, line(helps.get(cmd)!, '--strict')]).toEqual([cmd, expect.stringContaining(meaning)]);
    expect(line(helps.get('train')!, '--strict')).toMatch(/Same as --strict-data/);
    const progress = 'auto' as const;
    expect(configFromArgs({ progress, strict: true }).strictData).toBe(true);
    expect(configFromArgs({ progress }).strictData).toBeUndefined();
  });

  test('the old --size still works and --json FILE writes the result there', () => {
    const out = path.join(tmpDir('flags'), 'bench.json');
    const args = ['bench', 'infer', '--size', '32', '--batch', '1', '--classes', '2', '--steps', '1', '--warmup', '0'];
    const r = run([...args, '--json', out]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(written.size).toBe(32);
    expect(JSON.parse(r.stdout)).toEqual(written);
  });
});

describe('usage errors', () => {
  test('an unknown flag: the nearest one, no camelCase twin, the command help', () => {
    const r = run(['train', '--max-step', '2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown flag --max-step (did you mean --max-steps?)');
    expect(r.stderr).not.toContain('maxStep');
    expect(r.stderr).toContain('vgg2-torch train --help');
    expect(run(['bench', 'train', '--bach', '2']).stderr).toMatch(
      /--bach \(did you mean --batch\?\)[\s\S]*bench train --help/,
    );
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(nearestFlag('zzzzzz', ['data', 'out'])).toBeUndefined();
  });

  test('--data naming a file, --out under a file: one line naming the flag and the reason', () => {
    const dir = tmpDir('flags');
    const file = path.join(dir, 'photo.jpg');
    fs.writeFileSync(file, 'x');
    const data = run(['train', '--data', file, '--out', path.join(dir, 'run'), '--max-steps', '1']);
    expect(data.code).not.toBe(0);
    expect(data.stderr).toContain(`${file}: is a file; expected a folder with one sub-folder of images per person`);
    const out = run(['train', '--demo', '--out', path.join(file, 'run'), '--max-steps', '1']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/--out \S+photo\.jpg\/run: \S+photo\.jpg is a file, not a folder/);
    // Found before any data is read or model built.
    expect(out.stderr).not.toMatch(/^(data|model):/m);
    expect(out.stderr).not.toMatch(/ENOTDIR|\n\s+at /);
  });
});
