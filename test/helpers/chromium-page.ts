import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface RenderedPage {
  /** <svg> elements in the page once loaded. */
  readonly svgCount: number;
  /** svg elements that drew something (have child marks and a non-zero box). */
  readonly svgDrawn: number;
  readonly consoleErrors: readonly string[];
  readonly title: string;
}

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Opens a local HTML file in headless Chromium with the network cut off
 * (the report must be self-contained), collects console errors and page
 * errors, counts the charts, and saves a screenshot (full page, or the
 * top `clipHeight` pixels).
 */
export async function renderInChromium(htmlPath: string, pngPath: string, o: { width?: number; clipHeight?: number } = {}): Promise<RenderedPage> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: o.width ?? 1000, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // Anything but the file itself is a failure: no network is needed to view the report.
    await page.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
    page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()}`));
    await page.goto(`file://${htmlPath}`, { waitUntil: 'load' });
    const counts = await page.evaluate(() => {
      const svgs = [...document.querySelectorAll('svg')];
      const drawn = svgs.filter((s) => s.getBoundingClientRect().width > 100 && s.querySelectorAll('path, rect, line').length > 5).length;
      return { svgCount: svgs.length, svgDrawn: drawn };
    });
    const title = await page.title();
    await page.screenshot({ path: pngPath, ...(o.clipHeight !== undefined ? { clip: { x: 0, y: 0, width: o.width ?? 1000, height: o.clipHeight } } : { fullPage: true }) });
    return { ...counts, consoleErrors, title };
  } finally {
    await browser.close();
  }
}
