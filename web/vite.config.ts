/**
 * The web console's build: `vite build --config web/vite.config.ts` writes web/dist, a static site that reads its
 * settings from `/config.json` at start-up (written by the local host, or at deployment), so one build serves
 * every environment.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
  logLevel: 'warn',
});
