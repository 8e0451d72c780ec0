import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Starting nine processes on a 2-core machine takes a while.
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
