/**
 * Writes every service's and the gateway's Dockerfile from the one template.
 *   pnpm --filter @foodxchange/deployment render          # write
 *   pnpm --filter @foodxchange/deployment check           # exit 1 if any committed file differs
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../src/platform.js';
import { renderAll } from '../src/render.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of renderAll()) {
  const file = join(repoRoot, path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (current === content) {
    console.log(`up to date  ${path}`);
    continue;
  }
  if (check) {
    stale += 1;
    console.log(`${current === null ? 'missing   ' : 'stale     '}  ${path}`);
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  console.log(`wrote       ${path}`);
}
if (stale) {
  console.error(`${stale} Dockerfile(s) differ from the template: run pnpm --filter @foodxchange/deployment render`);
  process.exit(1);
}
