/**
 * Writes rendered files into the repository, or (`check`) only reports which committed ones differ:
 * the one loop behind `render` / `check` (Dockerfiles) and `render:k8s` / `check:k8s`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './platform.js';

export interface RenderedFile {
  path: string;
  content: string;
}

/** The number of files that differ from their rendering (always 0 when writing). */
export function writeRendered(files: Iterable<RenderedFile>, { check }: { check: boolean }): number {
  let stale = 0;
  for (const { path, content } of files) {
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
  return stale;
}
