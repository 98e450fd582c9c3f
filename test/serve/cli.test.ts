/** `vgg2-torch serve` as a user starts it: the compiled CLI, loopback by default, SIGTERM ends it cleanly. */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { tinyWeights } from '../eval/helpers';
import { removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(120_000);
const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
afterAll(removeTmpDirs);

test('listens on 127.0.0.1 by default, answers /health, exits 0 on SIGTERM', async () => {
  const weights = await tinyWeights(path.join(tmpDir('serve-cli'), 'w.safetensors'));
  const child = spawn(process.execPath, [cli, 'serve', '--weights', weights, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+?) /.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const health = (await (await fetch(`${url}/health`)).json()) as { status: string; gallery: unknown };
  expect(health).toMatchObject({ status: 'ok', gallery: null });
  // Without --token, writing is refused outright.
  const enroll = await fetch(`${url}/enroll`, { method: 'POST', body: new FormData() });
  expect(enroll.status).toBe(403);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

test('bad flags are usage errors', () => {
  const r = spawnSync(process.execPath, [cli, 'serve', '--weights', 'x.safetensors', '--port', '70000'], {
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/--port: 0 to 65535/);
  const missing = spawnSync(process.execPath, [cli, 'serve', '--weights', '/nonexistent/w.safetensors'], {
    encoding: 'utf8',
  });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/nonexistent\/w\.safetensors/);
});
