// Entry of a reference worker process (pool.ts forks it without --max-opt): runs worker.ts
// through vite-node, as bin/torsion.mjs runs the CLI, so the worker shares the TypeScript sources.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
const [{ createServer }, { ViteNodeServer }, { ViteNodeRunner }] = await Promise.all([
  import('vite'), import('vite-node/server'), import('vite-node/client'),
]);
// a transformer only: no config file, no HMR, no watching, no dependency pre-bundling
const server = await createServer({
  root, configFile: false, appType: 'custom', logLevel: 'silent',
  server: { hmr: false, watch: null, middlewareMode: true },
  optimizeDeps: { noDiscovery: true, include: [] },
});
const node = new ViteNodeServer(server);
const runner = new ViteNodeRunner({
  root: server.config.root, base: server.config.base,
  fetchModule: (id) => node.fetchModule(id), resolveId: (id, importer) => node.resolveId(id, importer),
});
const mod = await runner.executeFile(entry);
// the modules are loaded; the transformer is not needed any more
await server.close();
mod.serve();
