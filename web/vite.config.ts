import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { fileURLToPath } from 'node:url';

// `pnpm --filter @foodxchange/web dev` serves the console with hot reload and passes /api to a
// running gateway (npm start's, by default), so the browser still sees one origin.
const gateway = process.env.FOODXCHANGE_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: { port: 5173, proxy: { '/api': { target: gateway, changeOrigin: false } } },
  build: {
    target: 'es2022',
    sourcemap: true,
    // Hashed file names under assets/: the gateway serves them with a year-long immutable cache.
    assetsDir: 'assets',
    reportCompressedSize: false,
  },
  test: {
    // The tests are of pure logic (comparison, form-error mapping, session): no DOM needed.
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
