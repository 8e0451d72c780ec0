import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages are tested from their TypeScript sources (their "@foodxchange/source"
  // export condition), not from the compiled dist the launched processes run.
  ssr: { resolve: { conditions: ['@foodxchange/source'] } },
  test: {
    // The TypeScript children these tests start (node --import tsx) resolve the sources too.
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, '--conditions=@foodxchange/source'].filter(Boolean).join(' ') },
    include: ['test/**/*.test.ts'],
    // The real servers, started or reused, so the package's tests also run on their own.
    globalSetup: ['@foodxchange/infra/vitest-setup'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share the launcher's Kafka and Mongo servers: one file at a time.
    fileParallelism: false,
  },
});
