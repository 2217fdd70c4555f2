// src/cli/main.ts bundled once for the CLI tests, which bin/torsion.mjs runs when TORSION_CLI_MODULE
// names it. Through vite-node every `torsion` process starts Vite and transforms the whole CLI (about
// 4-5 s on two busy cores, measured); the bundle starts in about 1 s. One test still runs the sources.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Modules that find files beside themselves (view.ts the page, pool.ts the reference worker) keep
 * their source location: `import.meta.url` becomes the source file's URL before Vite bundles them.
 */
function sourceImportMetaUrl(): Plugin {
  return {
    name: 'torsion:source-import-meta-url',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0];
      if (!file.startsWith(root) || file.includes('/node_modules/') || !code.includes('import.meta.url')) return null;
      return { code: code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href)), map: null };
    },
  };
}

/**
 * Builds the CLI into `dir` (as `vite build --ssr`: packages stay imports, e.g. `webgpu` and `vite`)
 * and returns the bundle's path. `dir` gets a node_modules link to the repository's, so that those
 * imports resolve from outside the repository.
 */
export async function buildCliBundle(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const outDir = join(dir, 'cli');
  await build({
    root, configFile: false, logLevel: 'warn',
    plugins: [sourceImportMetaUrl()],
    build: {
      ssr: join(root, 'src', 'cli', 'main.ts'), outDir, emptyOutDir: true, target: 'node20', minify: false,
      rollupOptions: { output: { entryFileNames: 'main.mjs' } },
    },
  });
  return join(outDir, 'main.mjs');
}
