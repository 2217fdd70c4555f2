// `torsion view <run-dir|scene-file|scene> [--port P]`: serves the page (index.html through Vite, the
// same sources as `npm run dev`) with a run folder's replay, a scene file or a registered scene
// loaded, prints the URL and serves until Ctrl-C. The run folder is served read-only under /run/, so
// the page fetches replay.json, replay.bin and scene.json from it like from any static host; a
// scene file is served alone there, and the page opens it as if it were chosen.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sceneNames } from '../../scenes/index';
import { UsageError } from './args';

const RUN_FILES: Record<string, string> = { 'replay.json': 'application/json', 'replay.bin': 'application/octet-stream', 'scene.json': 'application/json' };

export interface ViewTarget {
  /** The page's query: `?replay=run/`, `?file=run/<name>` or `?scene=<name>`. */
  query: string;
  /** The folder served under /run/, if any. */
  runDir: string | null;
  /** The files of runDir served, by name, with their content types (default: a run folder's replay files). */
  files?: Record<string, string>;
}

/** What `torsion view` shows for `arg`: a run folder holding a replay, a scene file (JSON or an OBJ mesh), or a registered scene. */
export function viewTarget(arg: string | undefined): ViewTarget {
  if (arg === undefined) throw new UsageError(`view: give a run folder (written by torsion run|optimize|mpc), a scene file (.json, or an .obj mesh) or a scene: ${sceneNames.join(', ')}`);
  if (existsSync(arg) && statSync(arg).isFile()) {
    const name = basename(arg);
    const type = /\.json$/i.test(name) ? 'application/json' : /\.obj$/i.test(name) ? 'text/plain' : null;
    if (!type) throw new UsageError(`view ${arg}: a file the page cannot open: give a scene's .json, an .obj mesh, or a run folder`);
    // the page opens it as a chosen file: a scene is checked there, an OBJ dropped as a cloth on a ball
    return { query: `?file=run/${encodeURIComponent(name)}`, runDir: dirname(resolve(arg)), files: { [name]: type } };
  }
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    const missing = ['replay.json', 'replay.bin'].filter((f) => !existsSync(join(arg, f)));
    if (missing.length) throw new UsageError(`view ${arg}: not a run folder with a replay (no ${missing.join(' or ')}); torsion run, optimize and mpc write one`);
    return { query: '?replay=run/', runDir: resolve(arg) };
  }
  if (sceneNames.includes(arg)) return { query: `?scene=${encodeURIComponent(arg)}`, runDir: null };
  throw new UsageError(`view ${JSON.stringify(arg)}: no such folder, and not a scene; known scenes are ${sceneNames.join(', ')}`);
}

/** Serves GET /run/<file> from `dir` (only the files named in `files`); false when the path is not ours. */
function serveRun(dir: string, files: Record<string, string>, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (!path.startsWith('/run/')) return false;
  const name = basename(decodeURIComponent(path.slice('/run/'.length)));
  const type = Object.hasOwn(files, name) ? files[name] : undefined;
  const file = join(dir, name);
  if (!type || !file.startsWith(dir + sep) || !existsSync(file)) {
    res.statusCode = 404;
    res.end('not found');
    return true;
  }
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  createReadStream(file).pipe(res);
  return true;
}

export interface ViewServer { url: string; close(): Promise<void> }

/** Starts the server; the page's URL with `target` loaded. */
export async function startView(target: ViewTarget, port: number): Promise<ViewServer> {
  const { createServer } = await import('vite');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const server = await createServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: port !== 0, hmr: false, watch: null, open: false },
    plugins: [{
      name: 'torsion-run-folder',
      configureServer(s) {
        if (target.runDir) {
          const dir = target.runDir;
          const files = target.files ?? RUN_FILES;
          s.middlewares.use((req, res, next) => { if (!serveRun(dir, files, req, res)) next(); });
        }
      },
    }],
  });
  try {
    await server.listen();
  } catch (e) {
    await server.close();
    // strictPort: Vite refuses a port in use (`npm run dev` holds 5173, the default) instead of moving on
    if (/already in use/.test((e as Error).message)) {
      throw new UsageError(`--port ${port}: the port is in use (by \`npm run dev\` or another \`torsion view\`?): give another with --port P, or --port 0 for any free one`);
    }
    throw e;
  }
  const { port: bound } = server.httpServer!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}/${target.query}`, close: () => server.close() };
}

export async function view(arg: string | undefined, port: number): Promise<number> {
  const target = viewTarget(arg);
  const server = await startView(target, port);
  console.log(`serving ${target.files ? arg : target.runDir ? `the replay in ${target.runDir}` : arg} at`);
  console.log(`  ${server.url}`);
  console.log('open it in a browser with WebGPU; Ctrl-C stops the server');
  await new Promise<void>((done) => process.once('SIGINT', () => done()));
  await server.close();
  return 0;
}
