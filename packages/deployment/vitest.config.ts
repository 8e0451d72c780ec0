import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages are tested from their TypeScript sources (their "@foodxchange/source"
  // export condition), not from the compiled dist the launched processes run.
  ssr: { resolve: { conditions: ['@foodxchange/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
  },
});
