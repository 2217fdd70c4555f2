// Opens pages of this repository in Debian's headless chromium with WebGPU on (SwiftShader), served
// by a Vite dev server, so browser tests load the same TypeScript and WGSL as the app.
// Never downloads a browser: playwright-core only drives /usr/bin/chromium.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';

// Playwright adds --headless and --no-sandbox itself, and takes the profile directory as a
// launchPersistentContext argument (it refuses --user-data-dir in args).
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
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

export async function startBrowser(): Promise<BrowserHarness> {
  const server = await createServer({
    root: repoRoot,
    configFile: join(repoRoot, 'vite.config.ts'),
    logLevel: 'error',
    // Port 0: the OS picks a free one, so parallel test files never collide.
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
  });
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  try {
    await server.listen();
    const { port } = server.httpServer!.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/`;
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
