import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PLATFORM_GATEWAY, PLATFORM_PROCESSES, PLATFORM_SERVICES, defaultPortOf, platformProcess } from '../src/platform.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('the platform catalogue', () => {
  it('names nine processes with distinct names, ports and folders that exist', () => {
    expect(PLATFORM_PROCESSES).toHaveLength(9);
    for (const key of ['name', 'port', 'dir'] as const) {
      expect(new Set(PLATFORM_PROCESSES.map((proc) => proc[key])).size, key).toBe(PLATFORM_PROCESSES.length);
    }
    for (const proc of PLATFORM_PROCESSES) expect(existsSync(`${repoRoot}${proc.dir}/package.json`), proc.dir).toBe(true);
    expect(PLATFORM_GATEWAY).toMatchObject({ name: 'gateway', port: 8080, prefixes: [] });
  });

  it('gives every public path prefix to exactly one service, none inside another', () => {
    const prefixes = PLATFORM_SERVICES.flatMap((service) => service.prefixes.map((prefix) => ({ prefix, owner: service.name })));
    for (const { prefix, owner } of prefixes) {
      expect(prefix, owner).toMatch(/^\/api\/v1\/[a-z-]+$/);
      const clashes = prefixes.filter((other) => other.prefix === prefix || other.prefix.startsWith(`${prefix}/`));
      expect(clashes.map((c) => c.owner), prefix).toEqual([owner]);
    }
  });

  it("is where every app.ts takes its default port from, and refuses names it does not have", () => {
    for (const proc of PLATFORM_PROCESSES) {
      const source = readFileSync(`${repoRoot}${proc.dir}/src/app.ts`, 'utf8');
      expect(source, proc.dir).toContain(`defaultPort: defaultPortOf('${proc.name}')`);
      expect(defaultPortOf(proc.name)).toBe(proc.port);
    }
    expect(() => platformProcess('inventory')).toThrow(/Unknown platform process "inventory"/);
  });
});
