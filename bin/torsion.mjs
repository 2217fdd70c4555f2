#!/usr/bin/env node
// The `torsion` command: runs src/cli/main.ts (TypeScript that imports WGSL with Vite's `?raw`)
// through vite-node, so the CLI, the tests and the browser share the same sources.
// TORSION_CLI_MODULE=<file.mjs> runs a prebuilt bundle of main.ts instead (what the tests build once
// per CLI test file, tests/helpers/cli-bundle.ts): no Vite, no transform, everything else the same.
import { setFlagsFromString } from 'node:v8';

// First, before anything loads Dawn: with V8's top tier on, Dawn crashes Node 20 at random
// (SIGSEGV, futex errors). NODE_OPTIONS refuses this flag, so it is set here. Everything else is
// imported dynamically below, because static imports would run before this line.
setFlagsFromString('--max-opt=2');

const { fileURLToPath } = await import('node:url');
const { join } = await import('node:path');
const { existsSync } = await import('node:fs');

// Paths are relative to the package, not to the working directory (npx may run us from anywhere).
const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'src', 'cli', 'main.ts');

const exitCode = (code) => (Number.isInteger(code) ? code : 0);

async function run() {
  const [command, script, ...scriptArgs] = process.argv.slice(2);
  const exec = command === 'exec';
  if (exec && (script === undefined || script === '--help' || script === '-h')) {
    console.error('usage: torsion exec <file.ts|file.js> [args...]: runs your own program with `torsion` importable (docs/library.md)');
    return script === undefined ? 2 : 0;
  }
  if (exec && !existsSync(script)) {
    console.error(`torsion exec: ${script}: no such file`);
    return 2;
  }
  const bundle = process.env.TORSION_CLI_MODULE;
  if (bundle && !exec) {
    const { pathToFileURL } = await import('node:url');
    return exitCode(await (await import(pathToFileURL(bundle).href)).main(process.argv.slice(2)));
  }
  if (!existsSync(entry)) {
    console.error(`torsion: ${entry} is missing; the CLI has no commands yet`);
    return 1;
  }
  const [{ createServer }, { ViteNodeServer }, { ViteNodeRunner }, { installSourcemapsSupport }] = await Promise.all([
    import('vite'), import('vite-node/server'), import('vite-node/client'), import('vite-node/source-map'),
  ]);
  // A bare dev server used only as a transformer: no config file (the browser's vite.config.ts is
  // not needed here and costs startup time), no HMR, no file watching, no dependency pre-bundling.
  // Nothing listens, so the file-serving sandbox (fs.strict) only gets in the way of a user's own
  // files outside the package, e.g. a scene that imports WGSL with `?raw`.
  const server = await createServer({
    root,
    configFile: false,
    appType: 'custom',
    logLevel: 'silent',
    server: { hmr: false, watch: null, middlewareMode: true, fs: { strict: false } },
    optimizeDeps: { noDiscovery: true, include: [] },
    // `torsion exec`: a user's program imports the package by name, wherever the program lives
    resolve: { alias: [
      { find: /^torsion$/, replacement: join(root, 'src', 'index.ts') },
      { find: /^torsion\/node$/, replacement: join(root, 'src', 'node.ts') },
    ] },
  });
  try {
    const node = new ViteNodeServer(server);
    installSourcemapsSupport({ getSourceMap: (source) => node.getSourceMap(source) });
    const runner = new ViteNodeRunner({
      root: server.config.root,
      base: server.config.base,
      fetchModule: (id) => node.fetchModule(id),
      resolveId: (id, importer) => node.resolveId(id, importer),
    });
    if (exec) return await execScript(runner, script, scriptArgs);
    const mod = await runner.executeFile(entry);
    if (typeof mod.main !== 'function') {
      console.error(`torsion: ${entry} must export async function main(argv: string[]): Promise<number>`);
      return 1;
    }
    return exitCode(await mod.main(process.argv.slice(2)));
  } finally {
    await server.close();
  }
}

/**
 * Runs the user's program as the main module (process.argv = [node, file, ...args]); a failure the
 * commands report without a stack trace exits as they do (src/cli/exit-code.ts, loaded by the same
 * runner, so its classes are the program's).
 */
async function execScript(runner, script, args) {
  const { resolve } = await import('node:path');
  const file = resolve(script);
  process.argv = [process.argv[0], file, ...args];
  try {
    await runner.executeFile(file);
  } catch (e) {
    const { exitCodeOf } = await runner.executeFile(join(root, 'src', 'cli', 'exit-code.ts'));
    const code = exitCodeOf(e);
    console.error(code ? `${e.name}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : e);
    return code ?? 1;
  }
  return exitCode(process.exitCode);
}

try {
  process.exitCode = await run();
} catch (e) {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
}

// main has returned: if a handle still holds the event loop (typically a GPU device that was never
// destroyed), say so and exit instead of hanging. unref() keeps this timer from holding it itself.
setTimeout(() => {
  console.error('torsion: something kept Node alive after main() returned (an undestroyed GPU device?); exiting');
  process.exit();
}, 2000).unref();
