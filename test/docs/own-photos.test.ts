/**
 * docs/own-photos.md is a journey a new user follows literally: every `npx vgg2-torch` command on
 * the page runs here, in order, on real faces (ORL, written as JPEG folders named like the page's),
 * with small settings, so the page cannot drift from the CLI.
 */
import fs from 'fs';
import path from 'path';
import sharp from 'sharp';
import { spawnSync } from 'child_process';
import { dataDir, haveReference, repoRoot, tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

const page = path.join(repoRoot, 'docs', 'own-photos.md');
const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const orl = path.join(dataDir, 'orl');

/** The shell commands of the page's ```bash blocks (continuations joined, comments dropped). */
export function pageCommands(markdown: string): string[] {
  const out: string[] = [];
  const blocks = markdown.match(/```bash\n[\s\S]*?```/g) ?? [];
  for (const block of blocks) {
    const body = block
      .replace(/^```bash\n/, '')
      .replace(/```$/, '')
      .replace(/\\\n\s*/g, ' ');
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line.startsWith('npx vgg2-torch ')) out.push(line);
    }
  }
  return out;
}

/** The page's ```js blocks: code a user pastes into a module of their own. */
export function pageScripts(markdown: string): string[] {
  return (markdown.match(/```js\n[\s\S]*?```/g) ?? []).map((b) => b.replace(/^```js\n/, '').replace(/```$/, ''));
}

/** Splits a command line into words (the page uses plain words, no quotes or expansions). */
function words(line: string): string[] {
  if (/["'`$|;&<>*]/.test(line))
    throw new Error(`docs/own-photos.md: keep commands plain (no quoting or shell syntax): ${line}`);
  return line.split(/\s+/);
}

/** Small settings: the page's training values, shrunk so the journey runs in about a minute. */
const small: Record<string, string> = { '--epochs': '2', '--input-size': '64', '--batch-size': '16' };

function shrink(args: string[]): string[] {
  return args.map((a, i) => (i > 0 && small[args[i - 1]] !== undefined ? small[args[i - 1]] : a));
}

const people = {
  photos: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan'],
  'new-people': ['judy', 'mallory', 'niaj', 'olivia', 'peggy'],
  'test-people': ['quentin', 'rupert', 'sybil', 'trent', 'uma', 'victor', 'walter', 'xena'],
};

/** Writes ORL's subjects as the page's folders of JPEG photos, one folder per person. */
async function writePhotos(root: string): Promise<void> {
  let subject = 1;
  for (const [folder, names] of Object.entries(people)) {
    for (const name of names) {
      const dir = path.join(root, folder, name);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 1; i <= 10; i++) {
        const src = path.join(orl, `s${subject}`, `${i}.png`);
        await sharp(src)
          .jpeg({ quality: 95 })
          .toFile(path.join(dir, `${i}.jpg`));
      }
      subject++;
    }
  }
}

const ready = haveReference('ORL faces (../shared/data/orl)', fs.existsSync(orl));

(ready ? test : test.skip)(
  'every command in docs/own-photos.md runs as written (small settings)',
  async () => {
    const markdown = fs.readFileSync(page, 'utf8');
    const commands = pageCommands(markdown);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    const cwd = tmpDir('own-photos');
    await writePhotos(cwd);
    for (const line of commands) {
      const args = shrink(words(line).slice(2));
      const r = spawnSync(process.execPath, [cli, ...args], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, VGG2_THREADS: '2' },
        timeout: 10 * 60_000,
      });
      if (r.status !== 0)
        throw new Error(`docs/own-photos.md: \`${line}\` failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      // The journey's promises: verify decides with the threshold eval stored.
      if (args[0] === 'verify') expect(r.stdout).toMatch(/^(same person|different people) \(threshold [\d.]+\)$/m);
      if (args.includes('--set-threshold')) expect(r.stderr).toMatch(/verify_threshold [\d.]+ \(eer on .*\) stored/);
    }
    // The page's code, as a user's own ES module that imports the package by name.
    fs.mkdirSync(path.join(cwd, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(cwd, 'node_modules', 'vgg2-torch'));
    const scripts = pageScripts(markdown);
    expect(scripts.length).toBeGreaterThanOrEqual(1);
    scripts.forEach((code, k) => {
      const file = path.join(cwd, `snippet-${k}.mjs`);
      fs.writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, VGG2_THREADS: '2' },
      });
      if (r.status !== 0)
        throw new Error(`docs/own-photos.md: script ${k + 1} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      expect(r.stdout).toMatch(/^-?\d\.\d+ (same|different)$/m);
    });
    // Both models, each under its run folder's name.
    const compared = JSON.parse(fs.readFileSync(path.join(cwd, 'compare.json'), 'utf8')) as { label: string }[];
    expect(compared.map((r) => r.label)).toEqual(['people', 'people-ft']);
    // The fine-tuned model carries the new people's names.
    const ft = readSafetensors(path.join(cwd, 'runs/people-ft/model.safetensors')).metadata;
    expect(JSON.parse(ft.class_names)).toEqual(people['new-people']);
    // What the page promises exists afterwards.
    for (const f of [
      'runs/people/model.safetensors',
      'runs/people-ft/model.safetensors',
      'compare.html',
      'compare.json',
    ])
      expect(fs.existsSync(path.join(cwd, f))).toBe(true);
  },
  20 * 60_000,
);
