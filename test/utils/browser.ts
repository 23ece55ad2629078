import * as fs from 'node:fs';

/** Debian's chromium, driven by playwright-core (`npx playwright install` cannot work here). */
export const CHROMIUM = '/usr/bin/chromium';

type Playwright = typeof import('playwright-core');
let playwright: Playwright | undefined;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  playwright = require('playwright-core') as Playwright;
} catch {
  playwright = undefined;
}

/** Whether browser tests can run: playwright-core (a dev dependency) and Debian's chromium are both there. */
export const browserAvailable = !!playwright && fs.existsSync(CHROMIUM);

/** `describe`, or `describe.skip` with a warning naming what is missing. */
export function describeInBrowser(name: string, fn: () => void): void {
  if (!browserAvailable) console.warn(`${name}: skipped, needs playwright-core (dev dependency) and Debian chromium at ${CHROMIUM}`);
  (browserAvailable ? describe : describe.skip)(name, fn);
}

/** Headless chromium with the flags this machine needs (no sandbox as root, no background networking). */
export function launchChromium(): Promise<import('playwright-core').Browser> {
  return playwright!.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
