import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages are tested from their TypeScript sources (their "@foodxchange/source"
  // export condition), not from the compiled dist the launched processes run.
  ssr: { resolve: { conditions: ['@foodxchange/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The real servers, started or reused, so the package's tests also run on their own.
    globalSetup: ['@foodxchange/infra/vitest-setup', './test/maildev-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share the launcher's Kafka and Mongo servers: one file at a time.
    fileParallelism: false,
  },
});
