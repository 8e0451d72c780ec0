/**
 * Writes the Kubernetes manifests of infra/k8s that are rendered from the platform's catalogue.
 *   pnpm --filter @foodxchange/deployment render:k8s          # write
 *   pnpm --filter @foodxchange/deployment check:k8s           # exit 1 if any committed file differs
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderK8s } from '../src/k8s.js';
import { repoRoot } from '../src/platform.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of renderK8s()) {
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
  console.error(`${stale} manifest(s) differ from the rendering: run pnpm --filter @foodxchange/deployment render:k8s`);
  process.exit(1);
}
