// Turns gpu-check.sh's results.jsonl into the short results file (Markdown): the machine, one row
// per check, and the throughput table with the targets judged.
'use strict';
const fs = require('fs');

const records = fs
  .readFileSync(process.argv[2], 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const find = (check) => records.find((r) => r.check === check);
const env = find('environment')?.data ?? {};
const info = find('info')?.data ?? {};
const out = [];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x) => (x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));

out.push(
  `# vgg2-torch GPU check (${env.mode === 'cpu' ? 'CPU dry run' : 'CUDA'}), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
);
const gpus = (info.cudaDevices ?? []).map(
  (d) => `${d.name} (${(d.totalMemory / 2 ** 30).toFixed(0)} GiB, capability ${d.capability})`,
);
out.push(
  `- machine: ${gpus.length ? gpus.join(', ') : 'no GPU'}; ${env.cores} cores; driver ${info.cudaDriver ?? '–'}, CUDA ${info.cudaRuntime ?? '–'}, cuDNN ${info.cudnn ?? '–'}`,
);
out.push(
  `- LibTorch ${info.libtorch ?? '?'} (${env.libtorch}); PyTorch ${env.torch} (${env.python}); Node ${env.node}`,
  '',
);

const describe = (r) => {
  const d = r.data;
  if (!d) return '';
  if (r.check === 'build')
    return d.needed
      ? `${d.seconds} s, ${d.warnings} warnings; NEEDED ${d.needed
          .trim()
          .split(' ')
          .filter((n) => /torch|c10/.test(n))
          .join(', ')}`
      : `see ${d.log}`;
  if (r.check.startsWith('oracle')) return d.error ?? `features: ${d.features}; logits: ${d.logits}`;
  if (r.check.startsWith('train')) {
    if (d.reason || d.error) return d.reason ?? d.error;
    return (
      `loss ${d.head.toFixed(3)} → ${d.tail.toFixed(3)} in ${d.steps} steps, finite: ${d.finite}` +
      (d.amp === 'fp16' ? `, ${d.skipped} skipped, loss scale ${d.lossScale}` : '')
    );
  }
  if (r.check === 'info')
    return `cuda: ${d.cuda}, devices ${(d.devices ?? []).join(', ')}, cuDNN benchmark ${d.cudnnBenchmark}`;
  return d.reason ?? d.error ?? '';
};
out.push('| check | result | details |', '|---|---|---|');
for (const r of records) {
  if (r.check === 'environment' || r.check === 'total' || (r.check.startsWith('bench') && r.status === 'PASS'))
    continue;
  out.push(`| ${r.check} | ${r.status} | ${describe(r).replace(/\|/g, '/')} |`);
}

let failures = records.filter((r) => r.status === 'FAIL').length;
const torch = records.filter((r) => r.check === 'bench pytorch' && r.status === 'PASS').map((r) => r.data);
const ours = records.filter((r) => r.check === 'bench vgg2-torch' && r.status === 'PASS').map((r) => r.data);
if (torch.length && ours.length) {
  const c = ours[0];
  const avg = (rows, key) => mean(rows.map((r) => r[key]));
  out.push(
    '',
    `## Throughput: ${c.arch} ${c.size}×${c.size}, batch ${c.batch}, ${c.amp} autocast, channels_last ${c.channels_last}, on ${c.device} (images/s; mean of ${ours.length} round(s), each the median step)`,
    '',
  );
  out.push(
    '| | PyTorch eager, uint8 batch from host | PyTorch eager, batch resident on device | vgg2-torch, uint8 batch from host | vgg2-torch / PyTorch |',
    '|---|---|---|---|---|',
  );
  const verdicts = [];
  for (const mode of ['train', 'infer']) {
    const t = avg(torch, `${mode}_img_per_s`);
    const o = avg(ours, `${mode}_img_per_s`);
    out.push(
      `| ${mode === 'train' ? 'training step' : 'inference'} | ${fmt(t)} | ${fmt(avg(torch, `resident_${mode}_img_per_s`))} | ${fmt(o)} | ${(o / t).toFixed(2)}× |`,
    );
    // Step-time noise is a percent or two: within 2% of PyTorch counts as matching it.
    verdicts.push({ pass: o / t >= 0.98, text: `${mode}: target ≥ PyTorch eager, ${(o / t).toFixed(2)}×` });
  }
  const h100 = gpus.some((g) => /H100/.test(g));
  const train = avg(ours, 'train_img_per_s');
  if (env.mode === 'cpu') verdicts.length = 0; // toy sizes on a shared CPU: the targets are the GPU's
  if (h100) verdicts.push({ pass: train >= 2800, text: `training ≥ 2,800 img/s on an H100 (${fmt(train)})` });
  else
    out.push(
      '',
      env.mode === 'cpu'
        ? '(a CPU dry run at toy sizes: the throughput targets are not judged)'
        : '(the 2,800 img/s training target applies to an H100)',
    );
  out.push('', ...verdicts.map((v) => `- ${v.pass ? 'PASS' : 'FAIL'}: ${v.text}`));
  failures += verdicts.filter((v) => !v.pass).length;
}
const total = find('total')?.data;
out.push(
  '',
  `${failures ? `**${failures} check(s) failed**` : 'All checks passed'}${total ? `; ${total.seconds} s of a ${total.budget} s budget` : ''}.`,
);
console.log(out.join('\n'));
process.exitCode = failures ? 1 : 0;
