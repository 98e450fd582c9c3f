/**
 * Vega-Lite specs → SVG strings. vega and vega-lite are ESM-only and this package is CommonJS
 * (and jest's module sandbox cannot import() ESM), so the rendering runs in a worker thread,
 * a plain Node context that can import them.
 */
import { pathToFileURL } from 'url';
import { Worker } from 'worker_threads';

const WORKER = `
const { parentPort, workerData } = require('worker_threads');
(async () => {
  const vega = await import(workerData.vega);
  const vl = await import(workerData.vegaLite);
  const out = [];
  for (const spec of workerData.specs) {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    out.push(await view.toSVG());
    view.finalize();
  }
  parentPort.postMessage({ svgs: out });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

export async function renderSvgs(specs: object[]): Promise<string[]> {
  if (specs.length === 0) return [];
  const workerData = {
    vega: pathToFileURL(require.resolve('vega')).href,
    vegaLite: pathToFileURL(require.resolve('vega-lite')).href,
    specs,
  };
  const worker = new Worker(WORKER, { eval: true, workerData });
  try {
    const msg = await new Promise<{ svgs?: string[]; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`plot renderer exited with code ${code}`)));
    });
    if (msg.error || !msg.svgs) throw new Error(`rendering the plots failed: ${msg.error}`);
    return msg.svgs;
  } finally {
    await worker.terminate();
  }
}
