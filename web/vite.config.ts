// Vite build of the web app into dist/web (served by `baton serve`); `vite --config web/vite.config.ts` for
// development proxies /api to a running `baton serve` on BATON_PORT (default 4400).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': `http://localhost:${process.env.BATON_PORT ?? '4400'}` },
  },
});
