import { resolve } from 'node:path';
import { renderInChromium } from '../helpers/chromium-page.js';

/**
 * The README's picture of a report, taken with the same Chromium code as
 * the report test: `npx tsx test/experiment/report-screenshot.ts
 * experiments/kill-leader-…/report.html docs/experiment-kill-leader.png [height]`.
 */
const [html, png, height] = process.argv.slice(2);
if (html === undefined || png === undefined) {
  process.stderr.write('usage: report-screenshot.ts REPORT.html OUT.png [clip height px]\n');
  process.exit(2);
}
const page = await renderInChromium(resolve(html), resolve(png), { width: 960, clipHeight: height === undefined ? 1500 : Number(height) });
process.stdout.write(`${JSON.stringify(page)}\n`);
if (page.consoleErrors.length > 0) process.exit(1);
