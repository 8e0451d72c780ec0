/**
 * Writes every service's and the gateway's Dockerfile from the one template.
 *   pnpm --filter @foodxchange/deployment render          # write
 *   pnpm --filter @foodxchange/deployment check           # exit 1 if any committed file differs
 */
import { writeRendered } from '../src/write-rendered.js';
import { renderAll } from '../src/render.js';

const stale = writeRendered(renderAll(), { check: process.argv.includes('--check') });
if (stale) {
  console.error(`${stale} Dockerfile(s) differ from the template: run pnpm --filter @foodxchange/deployment render`);
  process.exit(1);
}
