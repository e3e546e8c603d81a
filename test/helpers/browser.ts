import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../domain/project-paths';

// Headless Chromium for the web UI's browser tests: Debian's own package (scripts/setup.sh installs it), driven by
// playwright-core, which never downloads a browser of its own.

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'test-output', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`npm run setup\` (it installs Debian's chromium)`);
  // --no-sandbox: the tests run as root, and Chromium's sandbox refuses to start as root.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** Numbered full-page screenshots (`<NN>-<name>.png`) in test-output/screenshots/, emptied of the previous run's. */
export class Screenshots {
  private n = 0;

  constructor(readonly dir = SCREENSHOT_DIR) {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.png')) fs.rmSync(path.join(dir, f));
  }

  async take(page: Page, name: string): Promise<string> {
    const file = path.join(this.dir, `${String(++this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }
}
