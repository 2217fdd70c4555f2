// Opens pages of this repository in Debian's headless chromium with WebGPU on (SwiftShader): the
// app as `npm run build` makes it, served as static files (what a user deploys), or, for the test
// fixtures that import TypeScript, the sources through a Vite dev server.
// Never downloads a browser: playwright-core only drives /usr/bin/chromium.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, createServer } from 'vite';
import { inject } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

// Playwright adds --headless and --no-sandbox itself, and takes the profile directory as a
// launchPersistentContext argument (it refuses --user-data-dir in args).
// The Vulkan feature with SwiftShader for both Vulkan and ANGLE gives GPU compositing that can take
// a WebGPU canvas: without them getCurrentTexture() loses the device (the GPU process finds no
// shared-image backing for the swap chain), and a canvas never reaches a screenshot.
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserHarness {
  page: Page;
  /** Base URL of the dev server, ending in '/': page.goto(url + 'tests/browser/fixtures/x.html'). */
  url: string;
  /** Console messages and uncaught page errors, as `type: text`, for failure messages. */
  logs: string[];
  close(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Where browser tests leave screenshots to look at: $TORSION_ARTIFACTS, else test-artifacts/browser (git-ignored). */
export const ARTIFACTS = process.env.TORSION_ARTIFACTS ?? join(repoRoot, 'test-artifacts', 'browser');

/** Saves `data` as ARTIFACTS/name and returns the path. */
export function saveArtifact(name: string, data: Uint8Array): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  writeFileSync(path, data);
  return path;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.bin': 'application/octet-stream', '.wasm': 'application/wasm',
};

/** A static file server over `dir` (and the repository's test-artifacts/, where tests leave run folders). */
function staticServer(dir: string): Server {
  const roots: [string, string][] = [['/test-artifacts/', join(repoRoot, 'test-artifacts')], ['/', dir]];
  return createHttpServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const [prefix, base] = roots.find(([p]) => path.startsWith(p))!;
    let file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(base + sep) && file !== base) { res.statusCode = 403; res.end(); return; }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    createReadStream(file).pipe(res);
  });
}

interface PageServer { url: string; close(): Promise<void> }

// What `vite build` reads from the repository (node_modules through package-lock.json).
const SITE_INPUTS = ['index.html', 'vite.config.ts', 'tsconfig.json', 'package-lock.json', 'src', 'scenes', 'public'];

/** A hash of every file the site build reads, so a build is reused only for the same sources. */
function siteInputsHash(): string {
  const h = createHash('sha256');
  const add = (rel: string): void => {
    const abs = join(repoRoot, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) add(join(rel, name));
      return;
    }
    h.update(`${rel}\0`).update(readFileSync(abs)).update('\0');
  };
  SITE_INPUTS.forEach(add);
  return h.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Whether the process that holds the build lock still runs (true while it has not written its pid yet). */
function builderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * `npm run build` into this run's scratch folder (tests/setup/run-dir.ts), once per run and source
 * state: a vite build costs 5-20 s on two busy cores, and every browser test file serves the same
 * site. Worker processes take turns through a lock folder; a failed build leaves no lock behind, so
 * the next file builds again and reports its own error.
 */
async function sharedSite(): Promise<string> {
  const out = join(inject('torsionRunDir'), `site-${siteInputsHash()}`);
  const done = join(out, '.built'), lock = `${out}.lock`;
  for (;;) {
    if (existsSync(done)) return out;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!builderAlive(lock)) rmSync(lock, { recursive: true, force: true }); // its process died
      else await sleep(200); // another file is building it
      continue;
    }
    try {
      if (existsSync(done)) return out;
      await build({ root: repoRoot, configFile: join(repoRoot, 'vite.config.ts'), logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
      writeFileSync(done, '');
      return out;
    } catch (e) {
      rmSync(out, { recursive: true, force: true });
      throw e;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The site as `npm run build` makes it (built once per run), served statically on 127.0.0.1 (port 0: the OS picks a free one). */
async function builtSite(): Promise<PageServer> {
  const out = await sharedSite();
  const server = staticServer(out);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function devServer(): Promise<PageServer> {
  const server = await createServer({
    root: repoRoot,
    configFile: join(repoRoot, 'vite.config.ts'),
    logLevel: 'error',
    // Port 0: the OS picks a free one, so parallel test files never collide.
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  const { port } = server.httpServer!.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/**
 * A headless chromium on a page server: `site: 'built'` (the default) serves the app as
 * `npm run build` makes it, index.html at the root; `site: 'dev'` serves the repository's sources
 * (the fixtures under tests/browser/fixtures/ import TypeScript).
 */
export async function startBrowser(o: { site?: 'built' | 'dev' } = {}): Promise<BrowserHarness> {
  const server = await (o.site === 'dev' ? devServer() : builtSite());
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  try {
    const url = server.url;
    profile = await mkdtemp(join(tmpdir(), 'torsion-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    const ctx = context, dir = profile;
    return {
      page, url, logs,
      async close() {
        await ctx.close();
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close();
    await server.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    throw e;
  }
}

/** An 8-bit RGBA image: `data` holds width * height * 4 bytes, rows top to bottom. */
export interface RgbaImage { width: number; height: number; data: Uint8Array }

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decodes the PNGs that chromium's screenshots produce (8-bit RGB or RGBA, not interlaced) with
 * node:zlib, so pixel tests need no image library. Other PNG flavours are refused by name.
 */
export function decodePng(png: Uint8Array): RgbaImage {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('decodePng: not a PNG');
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  for (let o = 8; o < buf.length;) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    const body = buf.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colorType, , , interlace] = body.subarray(8, 13);
      channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
      if (depth !== 8 || !channels || interlace !== 0) {
        throw new Error(`decodePng: bit depth ${depth}, colour type ${colorType}, interlace ${interlace} not supported`);
      }
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rowBytes = width * channels;
  const px = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)];
    const src = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const row = y * rowBytes, prev = row - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= channels ? px[row + i - channels] : 0;
      const b = y > 0 ? px[prev + i] : 0;
      const c = y > 0 && i >= channels ? px[prev + i - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`decodePng: unknown row filter ${filter}`);
      px[row + i] = (src[i] + pred) & 0xff;
    }
  }
  if (channels === 4) return { width, height, data: px };
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set(px.subarray(p * 3, p * 3 + 3), p * 4);
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
