import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages are tested from their TypeScript sources (their "@foodxchange/source"
  // export condition), not from the compiled dist the launched processes run.
  ssr: { resolve: { conditions: ['@foodxchange/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The real servers, started or reused, so the package's tests also run on their own.
    globalSetup: ['@foodxchange/infra/vitest-setup'],
    testTimeout: 60_000,
    // Starting nine processes on a 2-core machine takes a while.
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
