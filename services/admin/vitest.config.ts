import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share the launcher's Kafka and Mongo servers: one file at a time.
    fileParallelism: false,
  },
});
