/** Writes packages/contracts/schemas/ from the TypeBox definitions (and removes stale files). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../src/schema-files.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
mkdirSync(dir, { recursive: true });
const files = schemaFiles();
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !(name in files)) rmSync(join(dir, name));
}
for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
console.log(`wrote ${Object.keys(files).length} files to ${dir}`);
