/**
 * Tests that spawn the CLI run dist/ (bin/vgg2-torch.js loads the compiled code): compile the
 * current sources first, so no test ever runs stale JavaScript.
 */
const { spawnSync } = require('child_process');
const path = require('path');

module.exports = function globalSetup() {
  const root = path.resolve(__dirname, '..');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed before the tests (dist/ would be stale):\n${r.stdout}${r.stderr}`);
};
