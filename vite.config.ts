// The browser build and dev server (`npm run dev`). index.html at the root is the app page; WGSL
// comes in through src/shaders/index.ts with Vite's built-in `?raw`, so no plugin is needed.
import { defineConfig } from 'vite';

export default defineConfig({
  root: '.',
  // Relative asset URLs: the built site (dist/) works from any folder of any static host.
  base: './',
  // WebGPU needs a secure context: 127.0.0.1 counts as one, a LAN address would not.
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', outDir: 'dist' },
});
