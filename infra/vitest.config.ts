import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages are tested from their TypeScript sources (their "@foodxchange/source"
  // export condition), not from the compiled dist the launched processes run.
  ssr: { resolve: { conditions: ['@foodxchange/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The first run on a new machine builds FerretDB (~90 s on 2 cores) and downloads Kafka and
    // Elasticsearch; later runs reuse the cache and the running servers in well under a second.
    hookTimeout: 15 * 60_000,
    testTimeout: 120_000,
    // One file starts servers; run files one after another so the unit file stays fast and quiet.
    fileParallelism: false,
  },
});
