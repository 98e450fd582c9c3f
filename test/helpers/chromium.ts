/** Loads an HTML report in Debian's headless Chromium (puppeteer-core): console errors and the plots drawn. */
import * as fs from 'fs';
import * as path from 'path';
import { haveReference, repoRoot } from './paths';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = haveReference(CHROMIUM, fs.existsSync(CHROMIUM));
/** A test that needs the browser: skipped visibly without it (CI has it, see haveReference). */
export const chromiumTest = haveChromium ? test : test.skip;
const ARTIFACTS = path.join(repoRoot, 'test-artifacts');

/** Returns console errors and the figure.plot elements found, and keeps a screenshot in test-artifacts/. */
export async function inChromium(
  html: string,
  shot: string,
): Promise<{ errors: string[]; plots: { id: string; marks: number; width: number }[] }> {
  const puppeteer = await import('puppeteer-core');
  // Generous timeouts: on a loaded 2-core machine Chromium can take long to start.
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
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(`file://${html}`, { waitUntil: 'load', timeout: 120_000 });
    const plots = await page.$$eval('figure.plot', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        return {
          id: f.getAttribute('data-plot') ?? '',
          marks: svg ? svg.querySelectorAll('path, rect, text').length : 0,
          width: svg ? svg.getBoundingClientRect().width : 0,
        };
      }),
    );
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
    return { errors, plots };
  } finally {
    await browser.close();
  }
}
