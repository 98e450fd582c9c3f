/** Runs `vgg2-torch` (dist/) in a child process from `cwd`; throws with its stderr when it fails. */
import { spawnSync } from 'child_process';
import path from 'path';
import { repoRoot } from './paths';

export function runCli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`vgg2-torch ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r;
}
