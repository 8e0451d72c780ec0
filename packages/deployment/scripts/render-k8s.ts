/**
 * Writes the Kubernetes manifests of infra/k8s that are rendered from the platform's catalogue.
 *   pnpm --filter @foodxchange/deployment render:k8s          # write
 *   pnpm --filter @foodxchange/deployment check:k8s           # exit 1 if any committed file differs
 */
import { writeRendered } from '../src/write-rendered.js';
import { renderK8s } from '../src/k8s.js';

const stale = writeRendered(renderK8s(), { check: process.argv.includes('--check') });
if (stale) {
  console.error(`${stale} manifest(s) differ from the rendering: run pnpm --filter @foodxchange/deployment render:k8s`);
  process.exit(1);
}
