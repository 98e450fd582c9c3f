/** The service's web page driven in headless Chromium: verify two photos, enroll one, search with another. */
import * as fs from 'fs';
import * as path from 'path';
import { loadForEval } from '../../lib/eval/load-model';
import { describeGalleryWeights, Gallery } from '../../lib/gallery';
import type { Model } from '../../lib/model';
import { createService, type Service } from '../../lib/serve/server';
import { tinyWeights } from '../eval/helpers';
import { CHROMIUM, chromiumTest } from '../helpers/chromium';
import { dataDir, removeTmpDirs, tmpDir } from '../helpers/paths';

jest.setTimeout(240_000);

const face = (s: number, k: number) => path.join(dataDir, 'orl', `s${s}`, `${k}.png`);
let model: Model;
let service: Service;
let base: string;
let gallery: Gallery;

beforeAll(async () => {
  const weights = await tinyWeights(path.join(tmpDir('serve-page'), 'w.safetensors'));
  ({ model } = await loadForEval(weights));
  gallery = await Gallery.open(path.join(path.dirname(weights), 'gallery'), {
    create: true,
    weights: await describeGalleryWeights(weights, model),
  });
  service = await createService({ model, gallery, token: 'sesame', threshold: 0.5 });
  base = await service.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await service?.close();
  await gallery?.close();
  model?.dispose();
  removeTmpDirs();
});

chromiumTest('verify, enroll and search from the page', async () => {
  const puppeteer = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox'],
    headless: true,
    timeout: 120_000,
    protocolTimeout: 120_000,
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(base + '/', { waitUntil: 'load' });
    const inputs = (section: string) => page.$$(`#${section} input[type=file]`);
    const result = async (section: string) => {
      await page.waitForFunction((s) => document.getElementById(`${s}-out`)!.textContent !== 'working...', {}, section);
      return page.$eval(`#${section}-out`, (o) => ({ text: o.textContent ?? '', error: o.className === 'error' }));
    };

    const [a, b] = await inputs('verify');
    await a.uploadFile(face(1, 1));
    await b.uploadFile(face(1, 2));
    await page.click('#verify-go');
    const v = await result('verify');
    expect(v.error).toBe(false);
    const shown = Number(await page.$eval('#similarity', (s) => s.textContent));
    const form = new FormData();
    form.append('a', new Blob([fs.readFileSync(face(1, 1))]), 'a.png');
    form.append('b', new Blob([fs.readFileSync(face(1, 2))]), 'b.png');
    const api = (await (await fetch(base + '/verify', { method: 'POST', body: form })).json()) as {
      similarity: number;
    };
    expect(shown).toBeCloseTo(api.similarity, 4);
    expect(v.text).toMatch(/same person|different people/);

    const [e] = await inputs('enroll');
    await e.uploadFile(face(2, 1), face(2, 2));
    await page.type('#enroll-id', 'person two');
    await page.type('#enroll-token', 'wrong');
    await page.click('#enroll-go');
    expect(await result('enroll')).toMatchObject({ error: true, text: expect.stringMatching(/token/) });
    await page.$eval('#enroll-token', (t) => ((t as HTMLInputElement).value = 'sesame'));
    await page.click('#enroll-go');
    expect(await result('enroll')).toMatchObject({
      error: false,
      text: expect.stringMatching(/enrolled person two \(2/),
    });
    expect(gallery.size).toBe(1);

    const [s] = await inputs('search');
    await s.uploadFile(face(2, 3));
    await page.click('#search-go');
    await result('search');
    const hits = await page.$$eval('#hits tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    expect(hits).toEqual(['person two']);
    // The enrolled person's thumbnail is shown next to the hit (loaded: a 96 px picture).
    await page.waitForFunction(() => {
      const img = document.querySelector('#hits img.thumb') as HTMLImageElement | null;
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    expect(await page.$eval('#hits img.thumb', (i) => (i as HTMLImageElement).naturalWidth)).toBe(96);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
