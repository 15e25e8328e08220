// What the browser tests share: the web app built with Vite into a folder, Debian's Chromium launched through
// playwright-core with the flags the issue names (never a downloaded browser), and the two accessibility
// checks every page visited must pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const AXE_SOURCE = readFileSync(join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

/** Builds web/ into `outDir` (what `npm run build` puts in dist/web). */
export async function buildWebApp(outDir: string): Promise<void> {
  await build({
    configFile: join(import.meta.dirname, '../../web/vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'warn',
  });
}

/** Starts the app on a random local port and answers its base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

/** Debian's Chromium, headless, with a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * axe-core's violations of impact serious or critical on the page as it is (rule id and the elements).
 * axe is evaluated through the DevTools protocol: the app's Content-Security-Policy rightly refuses the
 * inline script `page.addScriptTag` would add.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => {
    if (r.passes.length === 0) throw new Error('axe checked no rule on the page');
    return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', '));
  })`);
}

/** Form fields on the page with no label (the issue asks for a label on every field). */
export function unlabeledFields(page: Page): Promise<string[]> {
  // A string, evaluated in the page: the tests' own type check has no DOM library.
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.labels?.length === 0 && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80))`);
}
