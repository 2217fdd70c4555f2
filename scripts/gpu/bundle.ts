// The CLI as one self-contained ES module for a machine without Node packages (build-kit.sh): as
// `vite build --ssr src/cli/main.ts`, but with every package bundled except `webgpu` (Dawn's native
// addon, shipped beside it) and what only `view` and `exec` load (Vite, vite-node, TypeScript).
//
//   npx vite-node scripts/gpu/bundle.ts <out-dir>      writes <out-dir>/main.mjs
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = process.argv[2];
if (!outDir) throw new Error('usage: npx vite-node scripts/gpu/bundle.ts <out-dir>');
await build({
  root, configFile: false, logLevel: 'warn',
  ssr: { noExternal: true },
  build: {
    ssr: join(root, 'src', 'cli', 'main.ts'), outDir, emptyOutDir: true, target: 'node20', minify: false,
    rollupOptions: { external: ['webgpu', 'vite', /^vite-node/, 'typescript'], output: { entryFileNames: 'main.mjs' } },
  },
});
