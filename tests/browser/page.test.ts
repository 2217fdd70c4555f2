// The app page (index.html) in headless chromium on SwiftShader: the same simulator code as the CLI
// runs dam-break-2d, the particles reach the canvas (pixels checked in a screenshot) through the
// three.js view and through the flat-disc fallback, and what a user can get wrong (a bad scene file,
// a blow-up, no adapter, no WebGPU at all) is said in the page.
// TORSION_SCREENSHOT=/path.png saves the page after the dam-break steps, to look at.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMpmScene, buildScene } from '../../scenes/index';
import { exportSceneJson, parseSceneJson } from '../../src/mpm/validate';
import type { TorsionPageApi } from '../../src/viewer/main';
import { decodePng, saveArtifact, startBrowser, type BrowserHarness, type RgbaImage } from './harness';

let h: BrowserHarness;
beforeAll(async () => { h = await startBrowser(); });
afterAll(async () => { await h?.close(); });

declare const torsion: TorsionPageApi;

/** Group 0's colour (pack.wgsl, points.wgsl) and the clear colour, as 8-bit unorm (both views write them linearly). */
const PARTICLE = [77, 153, 255];
const BACKGROUND = [20, 23, 28];
const CELLS = 128; // dam-break-2d grid

async function openPage(query = 'paused'): Promise<void> {
  await h.page.goto(`${h.url}index.html?${query}`);
  await h.page.waitForFunction(() => 'torsion' in window);
  const failed = await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => `${e.name}: ${e.message}`));
  expect(failed, `page logs:\n${h.logs.join('\n')}`).toBeNull();
}

/** Largest x and y of any particle, in cells. */
async function extent(): Promise<[number, number]> {
  const x = Array.from(await h.page.evaluate(async () => Array.from(await torsion.readPositions())));
  let mx = -Infinity, my = -Infinity;
  for (let p = 0; p < x.length; p += 2) { mx = Math.max(mx, x[p]); my = Math.max(my, x[p + 1]); }
  return [mx * CELLS, my * CELLS];
}

/** Share of pixels in the rectangle [x0, x1) x [y0, y1) (fractions of the image) near `rgb`. */
function share(img: RgbaImage, rgb: number[], [x0, x1]: number[], [y0, y1]: number[]): number {
  let hit = 0, all = 0;
  for (let y = Math.floor(y0 * img.height); y < Math.floor(y1 * img.height); y++) {
    for (let x = Math.floor(x0 * img.width); x < Math.floor(x1 * img.width); x++) {
      const o = (y * img.width + x) * 4;
      const d = Math.abs(img.data[o] - rgb[0]) + Math.abs(img.data[o + 1] - rgb[1]) + Math.abs(img.data[o + 2] - rgb[2]);
      all++;
      if (d <= 24) hit++;
    }
  }
  return hit / all;
}

function fileOf(name: string, text: string) {
  return { name, mimeType: 'application/json', buffer: Buffer.from(text) };
}

describe('index.html', () => {
  it.each(['three', 'points'])('runs dam-break-2d and draws the particles from the GPU state (%s view)', async (view) => {
    await openPage(view === 'points' ? 'paused&view=points' : 'paused');
    const s0 = await h.page.evaluate(() => torsion.stats());
    expect(s0).toMatchObject({ step: 0, particles: 5200, scene: 'dam-break-2d', playing: false, view, viewFallback: null });
    expect(s0.adapter).toMatch(/swiftshader/i);
    const [x0, y0] = await extent();
    const t0 = performance.now();
    await h.page.evaluate(() => torsion.step(250));
    const seconds = (performance.now() - t0) / 1000;
    const [x1, y1] = await extent();
    // The column collapses: the front runs right along the floor and the top comes down.
    expect(x1 - x0, `front ${x0} -> ${x1} cells`).toBeGreaterThan(8);
    expect(y0 - y1, `top ${y0} -> ${y1} cells`).toBeGreaterThan(2);
    const s1 = await h.page.evaluate(() => torsion.stats());
    expect(s1.step).toBe(250);
    expect(s1.blowUp).toBeNull();
    await expect.poll(() => h.page.locator('#status').textContent()).toMatch(/step 250 .*5200 particles.*swiftshader/);
    console.log(`250 steps of dam-break-2d in the page: ${seconds.toFixed(2)} s`);

    const png = await h.page.locator('#view').screenshot();
    saveArtifact(`dam-break-2d-${view}.png`, png);
    if (process.env.TORSION_SCREENSHOT) writeFileSync(process.env.TORSION_SCREENSHOT, await h.page.screenshot());
    const img = decodePng(png);
    // The water fills the lower left; the upper right is empty background.
    expect(share(img, PARTICLE, [0.03, 0.2], [0.7, 0.97]), 'particle colour, lower left').toBeGreaterThan(0.5);
    expect(share(img, BACKGROUND, [0.5, 1], [0, 0.5]), 'background, upper right').toBeGreaterThan(0.99);
    expect(share(img, PARTICLE, [0, 1], [0, 0.5]), 'particle colour, upper half').toBe(0);
    // nothing in the console a user would take for a fault (a missing favicon.ico was one)
    expect(h.logs.filter((l) => /^(error|pageerror):/.test(l)), h.logs.join('\n')).toEqual([]);
  });

  it("draws a spring robot's masses in the flat-disc view at the vertex radius, not from a volume they do not have", async () => {
    await openPage('scene=spring-robot-2d&paused&view=points');
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'spring-robot-2d', view: 'points' });
    const png = await h.page.locator('#view').screenshot();
    saveArtifact('spring-robot-2d-points.png', png);
    const robot = share(decodePng(png), PARTICLE, [0, 1], [0, 1]);
    console.log(`spring-robot-2d, flat discs: ${(100 * robot).toFixed(2)}% of the canvas`);
    // 22 masses in a 0.25 x 0.15 frame (about 1.5% of the canvas's 1.5 x 1.5 units) as small discs; sized
    // from the model's second entry (no volume for a vertex) they merged into a blob over 10% of it
    expect(robot).toBeGreaterThan(0);
    expect(robot).toBeLessThan(0.02);
  });

  it('plays and pauses from the buttons, reporting steps/s', async () => {
    await openPage();
    await h.page.click('#play');
    await h.page.waitForFunction(() => torsion.stats().step >= 40 && torsion.stats().stepsPerSecond > 0, null, { timeout: 30_000 });
    await expect.poll(() => h.page.locator('#status').textContent()).toMatch(/\d+ steps\/s \([\d.e+]+ ms\/step\) · \d+ draws\/s/);
    // a reload (or a copied link) plays, as the page now does: ?paused only held the first load
    expect(new URL(h.page.url()).searchParams.has('paused')).toBe(false);
    await h.page.click('#play');
    const s = await h.page.evaluate(() => torsion.stats());
    expect(s.playing).toBe(false);
    expect(await h.page.locator('#play').textContent()).toBe('Play');
    await h.page.click('#reset');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().step)).toBe(0);
  });

  it('shows why a scene file is refused, and keeps the running scene', async () => {
    await openPage();
    const bad = JSON.parse(exportSceneJson(buildMpmScene('jelly-drop-2d')));
    bad.groups[0].nu = 0.7;
    const text = JSON.stringify(bad);
    const expected = (() => { try { parseSceneJson(text); } catch (e) { return (e as Error).message; } })();
    expect(expected).toContain('groups[0].nu');
    await h.page.setInputFiles('#file', fileOf('bad-nu.json', text));
    const error = h.page.locator('#error');
    await expect.poll(() => error.textContent()).toBe(`bad-nu.json is not a valid scene: ${expected}`);
    expect(await error.isVisible()).toBe(true);
    await h.page.setInputFiles('#file', fileOf('broken.json', '{"dim": 2,'));
    await expect.poll(() => error.textContent()).toMatch(/^broken\.json is not a valid scene: scene is not valid JSON/);
    expect(await h.page.evaluate(() => torsion.stats().scene)).toBe('dam-break-2d');
    expect(h.logs.filter((l) => l.startsWith('pageerror')), h.logs.join('\n')).toEqual([]);
  });

  it('names URL options it cannot use, with what is allowed, and runs the defaults', async () => {
    await openPage('paused&scene=nope&spf=abc&view=bogus&demo=bogus');
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/The bogus demo did not start/);
    expect(new URL(h.page.url()).searchParams.get('demo'), 'a reload must not fail the same way').toBeNull();
    const text = await h.page.locator('#error').textContent();
    expect(text).toMatch(/\?scene=nope: no such scene; showing dam-break-2d/);
    expect(text).toMatch(/\?spf=abc: allowed a whole number of steps per frame from 1 to 500; using 10/);
    expect(text).toMatch(/\?view=bogus: allowed 'three' or 'points'; using three/);
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'dam-break-2d', view: 'three' });
    expect(await h.page.locator('#spf').inputValue()).toBe('10');
    expect(new URL(h.page.url()).searchParams.get('scene')).toBeNull();
    // the replay slider belongs to replays only
    expect(await h.page.locator('#frame-label').isVisible()).toBe(false);
  });

  it('lays the parameter panel beside or below the controls and the canvas, never over them', async () => {
    await openPage('paused&view=points'); // the longest scene names in the list
    const rects = () => h.page.evaluate(() => {
      const r = (e: Element) => { const b = e.getBoundingClientRect(); return { l: b.left, r: b.right, t: b.top, b: b.bottom }; };
      const controls = Array.from(document.querySelectorAll('#bar > *, #view, #opt-bar > *')).filter((e) => (e as HTMLElement).offsetParent !== null);
      return { panel: r(document.querySelector('#panel > .lil-gui')!), controls: controls.map(r) };
    });
    for (const width of [1000, 1280, 800]) {
      await h.page.setViewportSize({ width, height: 900 });
      const { panel, controls } = await rects();
      const over = controls.filter((c) => c.l < panel.r && panel.l < c.r && c.t < panel.b && panel.t < c.b);
      expect(over, `${width} px: controls under the panel (${JSON.stringify(panel)})`).toEqual([]);
      expect(panel.r - panel.l, `${width} px: the panel's width`).toBeGreaterThan(250);
      saveArtifact(`layout-${width}.png`, await h.page.screenshot());
    }
    await h.page.setViewportSize({ width: 1280, height: 720 }); // playwright's default, the other tests'
  });

  it('opens a valid scene file and runs it (its particle sort ignored: the page does not sort)', async () => {
    await openPage('paused&scene=jelly-drop-2d');
    const scene = { ...buildMpmScene('jelly-drop-2d'), name: 'my-jelly', sortEvery: 2 };
    await h.page.setInputFiles('#file', fileOf('my-jelly.json', exportSceneJson(scene)));
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('my-jelly');
    expect(await h.page.locator('#scene').inputValue()).toBe('file:my-jelly');
    expect(new URL(h.page.url()).searchParams.get('scene'), 'the URL names no scene: a reload would not show this one').toBeNull();
    await h.page.evaluate(() => torsion.step(5));
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ step: 5, particles: scene.particles.group.length, blowUp: null });
    expect(await h.page.locator('#error').isHidden()).toBe(true);
    // The list keeps it: away to a registered scene and back.
    await h.page.selectOption('#scene', 'robot-walk-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('robot-walk-2d');
    expect(new URL(h.page.url()).searchParams.get('scene')).toBe('robot-walk-2d'); // the address links the scene
    await h.page.selectOption('#scene', 'file:my-jelly');
    await expect.poll(() => h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'my-jelly', step: 0 });
  });

  it('keeps a file\'s entry selected when the file\'s scene has a registered name (an exported scene, edited)', async () => {
    await openPage('paused&scene=jelly-throw-2d');
    const scene = buildMpmScene('jelly-drop-2d');
    const edited = { ...scene, groups: scene.groups.map((g) => ({ ...g, E: g.E / 2 })) };
    await h.page.setInputFiles('#file', fileOf('jelly-drop-2d.json', exportSceneJson(edited)));
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    expect(await h.page.locator('#scene').inputValue()).toBe('file:jelly-drop-2d');
    await h.page.selectOption('#scene', 'jelly-throw-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-throw-2d');
    await h.page.selectOption('#scene', 'file:jelly-drop-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    // the list says the file's scene runs, not the registered one, and the address names no scene
    expect(await h.page.locator('#scene').inputValue()).toBe('file:jelly-drop-2d');
    expect(new URL(h.page.url()).searchParams.get('scene')).toBeNull();
  });

  it('stops and names the step when the simulation blows up', async () => {
    await openPage('paused&spf=2');
    // Passes validation (actuator strength has no bound: what it does depends on the signal), but
    // every muscle pulls at 1e12 from the first step.
    const robot = buildMpmScene('robot-walk-2d');
    const wild = { ...robot, name: 'heavy', groups: robot.groups.map((g) => ({ ...g, actuator: { ...g.actuator!, strength: 1e12 } })),
      actuation: { ...robot.actuation!, values: robot.actuation!.values!.map(() => 1) } };
    await h.page.setInputFiles('#file', fileOf('heavy.json', exportSceneJson(wild)));
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('heavy');
    await h.page.click('#play');
    await expect.poll(() => h.page.locator('#error').textContent(), { timeout: 30_000 }).toMatch(/blew up at step 0\b/);
    const s = await h.page.evaluate(() => torsion.stats());
    expect(s.playing).toBe(false);
    expect(s.blowUp).toMatch(/step 0/);
  });

  it('says in the page that there is no WebGPU adapter', async () => {
    const page = await h.page.context().newPage();
    try {
      await page.addInitScript(() => { GPU.prototype.requestAdapter = async () => null; });
      await page.goto(`${h.url}index.html`);
      await page.waitForFunction(() => 'torsion' in window);
      const err = await page.evaluate(() => torsion.ready.then(() => 'resolved', (e: Error) => e.name));
      expect(err).toBe('NoAdapterError');
      await expect.poll(() => page.locator('#error').textContent()).toMatch(/^No WebGPU adapter is available \(requestAdapter\(\) returned null\)/);
      expect(await page.locator('#error').isVisible()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('says in the page what to do in a browser without WebGPU, instead of a blank canvas', async () => {
    const page = await h.page.context().newPage();
    try {
      await page.addInitScript(() => { Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }); });
      await page.goto(`${h.url}index.html`);
      await page.waitForFunction(() => 'torsion' in window);
      expect(await page.evaluate(() => torsion.ready.then(() => 'resolved', (e: Error) => e.name))).toBe('NoAdapterError');
      const error = page.locator('#error');
      await expect.poll(() => error.textContent()).toMatch(/^No WebGPU adapter is available \(navigator\.gpu is undefined in this browser\)\.\n/);
      const text = (await error.textContent()) ?? '';
      expect(text).toMatch(/Chrome or Edge 113/);
      expect(text).toMatch(/--enable-unsafe-webgpu/);
      expect(text).not.toMatch(/apt-get/); // the Node install hint is not for a page
      expect(await error.isVisible()).toBe(true);
      expect(await page.locator('#view').isVisible()).toBe(false);
      expect(await page.locator('#status').textContent()).toBe('no simulation running');
    } finally {
      await page.close();
    }
  });
});
