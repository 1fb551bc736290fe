import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [svelte()],
  resolve: {
    alias: { '@api': fileURLToPath(new URL('./app/common/api', import.meta.url)) },
  },
  build: {
    outDir: '../build/renderer',
    emptyOutDir: true,
    // no source map is built, served or packaged (it would ship the sources to anyone who asks)
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
});
