/** `vgg2-torch enroll` and `search` as users run them: the compiled CLI on real ORL faces. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tinyWeights } from '../eval/helpers';
import { dataDir, removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(180_000);
afterAll(removeTmpDirs);

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const orl = (s: number, k: number) => path.join(dataDir, 'orl', `s${s}`, `${k}.png`);

test('enroll a folder of people and one person by name, search, list, remove', async () => {
  const dir = tmpDir('gallery-cli');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const people = path.join(dir, 'people');
  for (const s of [1, 2, 3]) {
    fs.mkdirSync(path.join(people, `s${s}`), { recursive: true });
    for (const k of [1, 2]) fs.copyFileSync(orl(s, k), path.join(people, `s${s}`, `${k}.png`));
  }
  fs.writeFileSync(path.join(people, 's2', 'broken.png'), 'not an image');
  const g = path.join(dir, 'g');
  const first = run('enroll', '--weights', weights, '--gallery', g, '--data', people);
  expect(first.status).toBe(0);
  expect(first.stderr).toMatch(/3 people from 6 images/);
  expect(first.stderr).toMatch(/broken\.png/); // the bad image is counted and named, not fatal
  const named = run('enroll', '--weights', weights, '--gallery', g, '--id', 'four', orl(4, 1), orl(4, 2));
  expect(named.status).toBe(0);
  expect(run('enroll', '--gallery', g, '--list').stdout.trim().split('\n')).toEqual(['s1', 's2', 's3', 'four']);
  // Enrolling someone again needs --replace.
  const again = run('enroll', '--weights', weights, '--gallery', g, '--id', 'four', orl(4, 3));
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/'four' is enrolled already/);

  const s = run('search', '--weights', weights, '--gallery', g, '--k', '4', '--json', '-', orl(3, 1), orl(4, 2));
  expect(s.status).toBe(0);
  const out = JSON.parse(s.stdout) as { results: { image: string; hits: { id: string; score: number }[] }[] };
  expect(out.results.map((r) => r.hits.length)).toEqual([4, 4]);
  expect(out.results[0].hits.map((h) => h.id).sort()).toEqual(['four', 's1', 's2', 's3']);
  for (const r of out.results)
    for (let j = 1; j < 4; j++) expect(r.hits[j].score).toBeLessThanOrEqual(r.hits[j - 1].score);
  // --precision bf16: the same people in the same order, fp32 scores.
  const b = run(
    'search',
    '--weights',
    weights,
    '--gallery',
    g,
    '--k',
    '4',
    '--precision',
    'bf16',
    '--json',
    '-',
    orl(3, 1),
    orl(4, 2),
  );
  const bOut = JSON.parse(b.stdout) as typeof out;
  bOut.results.forEach((r, i) => {
    expect(r.hits.map((h) => h.id)).toEqual(out.results[i].hits.map((h) => h.id));
    r.hits.forEach((h, j) => expect(h.score).toBeCloseTo(out.results[i].hits[j].score, 5));
  });

  const removeUnknown = run('enroll', '--gallery', g, '--remove', 's1', 'nobody');
  expect(removeUnknown.status).toBe(1);
  expect(removeUnknown.stderr).toMatch(/nobody enrolled as nobody; nothing removed/);
  expect(run('enroll', '--gallery', g, '--remove', 's1').status).toBe(0);
  expect(run('enroll', '--gallery', g, '--list').stdout.trim().split('\n')).toEqual(['s2', 's3', 'four']);
});

test('refusals: other weights, no gallery, no usable image, usage errors', async () => {
  const dir = tmpDir('gallery-cli');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const other = await tinyWeights(path.join(dir, 'other.safetensors'), 2);
  const g = path.join(dir, 'g');
  expect(run('enroll', '--weights', weights, '--gallery', g, '--id', 'a', orl(1, 1)).status).toBe(0);
  const wrong = run('search', '--weights', other, '--gallery', g, orl(1, 1));
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/made with weights w\.safetensors .*not weights other\.safetensors/);
  const none = run('search', '--weights', weights, '--gallery', path.join(dir, 'nothing'), orl(1, 1));
  expect(none.status).toBe(1);
  expect(none.stderr).toMatch(/no gallery here/);
  const bad = path.join(dir, 'bad.png');
  fs.writeFileSync(bad, 'nope');
  const unusable = run('enroll', '--weights', weights, '--gallery', g, '--id', 'b', bad);
  expect(unusable.status).toBe(1);
  expect(unusable.stderr).toMatch(/no usable image/);
  expect(run('enroll', '--weights', weights, '--gallery', g, orl(1, 1)).stderr).toMatch(/--id NAME/);
  expect(run('enroll', '--gallery', g, '--id', 'x', orl(1, 1)).stderr).toMatch(/enrolling needs --weights/);
  expect(run('search', '--weights', weights, '--gallery', g, '--k', '0', orl(1, 1)).stderr).toMatch(/--k/);
  expect(run('search', '--weights', weights, '--gallery', g, '--precision', 'int8', orl(1, 1)).stderr).toMatch(
    /Invalid values:.*precision.*int8/s,
  );
});
