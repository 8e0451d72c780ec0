/**
 * The browser the console's end-to-end tests and benchmarks drive: Debian's Chromium (Playwright's
 * own browser download is not available here). Installed on demand like the servers, so a fresh
 * machine needs nothing done by hand.
 */
import { existsSync } from 'node:fs';
import { InfraError } from './errors.js';
import { aptInstall } from './prereqs.js';
import { which } from './process.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function findChromium(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new InfraError(`CHROMIUM_PATH=${configured} does not exist.`);
    return configured;
  }
  return CANDIDATES.find((path) => existsSync(path)) ?? which('chromium');
}

/** The Chromium executable, installing Debian's `chromium` (and a font set) when missing. */
export async function ensureChromium(log: (line: string) => void = () => undefined): Promise<string> {
  const found = findChromium();
  if (found) return found;
  log('chromium: installing Debian\'s chromium for the browser tests...');
  await aptInstall(['chromium', 'fonts-liberation'], 'The web console\'s browser tests');
  const installed = findChromium();
  if (!installed) throw new InfraError('chromium was installed but no executable was found (set CHROMIUM_PATH).');
  return installed;
}
