import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The console is served by the gateway under /console/ (see services/gateway/src/console.ts).
 * Hashed file names under assets/ are cached for a year; nothing is inlined as a data: URI and no
 * inline script is emitted, so the CSP stays `script-src 'self'`.
 */
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: {
    alias: {
      // Pure modules shared with the server: the Gantt renderer and the lot CSV reader.
      '@fillsched/gantt': here('../contracts/src/gantt.ts'),
      '@fillsched/lots-csv': here('../engine/src/csv.ts'),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': { target: 'http://localhost:8000', ws: true } } },
});
