// What the page draws besides positions, in headless chromium on SwiftShader (the built site): a soft
// robot coloured by actuation shows its muscles' phase, a jelly coloured by strain changes colour as
// it lands, a loss's target region is drawn, and the panel's resolution rebuilds the scene with
// another particle count (a refused value leaves the scene running). One page for the file, 2D
// scenes only: loading a page, or a 3D scene's kernels, costs far more on SwiftShader than these
// checks (where marks.ts puts 3D targets and grippers: tests/viewer/marks.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TorsionPageApi } from '../../src/viewer/main';
import { addGroup, fillBox, gravity, sceneBase } from '../../scenes/builders';
import { exportSceneJson } from '../../src/mpm/validate';
import { decodePng, saveArtifact, startBrowser, type BrowserHarness, type RgbaImage } from './harness';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowser();
  await h.page.goto(`${h.url}index.html?scene=robot-walk-2d&paused`);
  await h.page.waitForFunction(() => 'torsion' in window);
  const failed = await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => `${e.name}: ${e.message}`));
  expect(failed, `page logs:\n${h.logs.join('\n')}`).toBeNull();
  expect(await h.page.evaluate(() => torsion.stats().view)).toBe('three');
});
afterAll(async () => {
  if (h) console.log(`page logs:\n${h.logs.slice(-20).join('\n')}`);
  await h?.close();
});

declare const torsion: TorsionPageApi;

/** Shows registered scene `name` from the list, at step 0. */
async function select(name: string): Promise<void> {
  await h.page.selectOption('#scene', name);
  await expect.poll(() => h.page.evaluate(() => torsion.stats()), { timeout: 60_000 }).toMatchObject({ scene: name, step: 0 });
}

/**
 * A 16 x 16-cell jelly (1,024 particles) on a 64^2 grid, half a cell above the floor and falling at
 * 3 units/s: it lands at once, where the full-size jelly-drop-2d takes 160 steps on a 128^2 grid.
 * Its region-fraction loss names a box on the right.
 */
function smallJelly(): string {
  const dx = 1 / 64;
  const scene = sceneBase({ name: 'small-jelly', dim: 2, res: [64, 64], dt: 3e-4, steps: 100, gravity: gravity(2),
    boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 } });
  const g = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
  fillBox(scene, g, [24 * dx, 3.5 * dx], [40 * dx, 19.5 * dx], { velocity: [0, -3] });
  scene.loss = { kind: 'region-fraction', target: { min: [0.7, 3 * dx], max: [0.95, 0.3] }, width: dx };
  return exportSceneJson(scene);
}

async function shot(name: string): Promise<RgbaImage> {
  await h.page.evaluate(() => torsion.step(0)); // drawn
  const png = await h.page.locator('#view').screenshot();
  saveArtifact(`${name}.png`, png);
  return decodePng(png);
}

/** Share of the pixels that `test` accepts, of the image or of its columns [x0, x1) (fractions of its width). */
function share(img: RgbaImage, test: (r: number, g: number, b: number) => boolean, [x0, x1] = [0, 1]): number {
  let hit = 0, all = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = Math.floor(x0 * img.width); x < Math.floor(x1 * img.width); x++) {
      const o = 4 * (y * img.width + x);
      all++;
      if (test(img.data[o], img.data[o + 1], img.data[o + 2])) hit++;
    }
  }
  return hit / all;
}

const near = (rgb: number[], tol = 20) => (r: number, g: number, b: number) => Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2]) <= tol;
/** colors.wgsl's strain ramp at 0 (8-bit), and its colours from a fifth of the way up (green above 100). */
const UNSTRAINED = [26, 77, 102];
const strained = (r: number, g: number, b: number) => g >= 100 && g > b + 10;
/** colors.wgsl's actuation ramp: clearly positive (magenta) and clearly negative (cyan). */
const pulling = (r: number, g: number, b: number) => r > 150 && b > 120 && g < 110;
const pushing = (r: number, g: number, b: number) => g > 150 && b > 150 && r < 90;
/** marks.ts's target colour: the outline, or its translucent fill over the background. */
const target = (r: number, g: number, b: number) => g > r + 40 && g > b + 8;

describe('page drawing', () => {
  it('colours a soft robot by actuation: the muscles pull, then push half a period later', async () => {
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'robot-walk-2d', step: 0 });
    expect(await h.page.evaluate(() => torsion.colorModes())).toContain('actuation');
    await h.page.evaluate(() => torsion.setColorMode('actuation'));
    // 25 Hz at dt 3e-4: row 0 has activations 0, 1, 0.71, 0.71; row 66, half a period on, about their negatives
    await h.page.evaluate(() => torsion.step(1));
    const first = await shot('robot-actuation-1');
    await h.page.evaluate(() => torsion.step(66));
    const half = await shot('robot-actuation-67');
    const f = { pull: share(first, pulling), push: share(first, pushing) };
    const g = { pull: share(half, pulling), push: share(half, pushing) };
    console.log(`robot-walk-2d by actuation: step 1 ${(100 * f.pull).toFixed(2)}% pulling, ${(100 * f.push).toFixed(2)}% pushing; step 67 ${(100 * g.pull).toFixed(2)}%, ${(100 * g.push).toFixed(2)}%`);
    expect(f.pull).toBeGreaterThan(0.005);
    expect(f.push).toBe(0);
    expect(g.push).toBeGreaterThan(0.005);
    expect(g.pull).toBe(0);
  });

  it("draws the 2D domain's box, as 3D does: its left edge is a line of the frame colour", async () => {
    await select('robot-walk-2d');
    await h.page.evaluate(() => torsion.setColorMode('group'));
    const img = await shot('domain-box-2d');
    // three-view.ts's FRAME_COLOR as 8-bit output; the domain (extent 1 x 1) fills 97% of the square canvas, so its left edge is 1.5% in
    const frame = near([61, 66, 79]);
    let rows = 0;
    for (let y = 0; y < img.height; y++) {
      for (let x = Math.floor(0.005 * img.width); x < Math.ceil(0.03 * img.width); x++) {
        const o = 4 * (y * img.width + x);
        if (frame(img.data[o], img.data[o + 1], img.data[o + 2])) { rows++; break; }
      }
    }
    console.log(`domain box, left edge: ${rows} of ${img.height} rows`);
    expect(rows / img.height).toBeGreaterThan(0.9);
  });

  it("draws a box collider's rounded corners where the simulation rounds them", async () => {
    // a static 0.2 x 0.2 box grown by radius 0.1 (a 0.4 square with corners of radius 0.1) above a small jelly
    const scene = JSON.parse(smallJelly());
    scene.name = 'rounded-box';
    scene.colliders = [{ name: 'block', shape: 'box', halfExtents: [0.1, 0.1], radius: 0.1, friction: 0.3, position: [[0.5, 0.6]], velocity: [[0, 0]] }];
    await h.page.setInputFiles('#file', { name: 'rounded-box.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(scene)) });
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe('rounded-box');
    const img = await shot('rounded-box-2d');
    const box = (await h.page.locator('#view').boundingBox())!;
    const at = async (p: number[]) => {
      const [cx, cy] = await h.page.evaluate((q) => torsion.toClient(q), p);
      const o = 4 * (Math.round(cy - box.y) * img.width + Math.round(cx - box.x));
      return [img.data[o], img.data[o + 1], img.data[o + 2]];
    };
    const background = near([20, 23, 28]);
    const isBg = async (p: number[]) => background(...((await at(p)) as [number, number, number]));
    // the square spans [0.3, 0.7] x [0.4, 0.8]; near its top right corner, 0.127 from the rounding's centre (0.6, 0.7): outside the collider
    expect(await isBg([0.69, 0.79]), 'corner of the bounding square').toBe(true);
    expect(await isBg([0.5, 0.6]), 'centre').toBe(false);
    expect(await isBg([0.69, 0.6]), 'middle of the right side').toBe(false);
  });

  it('colours a jelly by strain from the panel: unstrained before it lands, strained after; its target box is drawn', async () => {
    await h.page.setInputFiles('#file', { name: 'small-jelly.json', mimeType: 'application/json', buffer: Buffer.from(smallJelly()) });
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('small-jelly');
    expect(await h.page.evaluate(() => torsion.colorModes())).toEqual(['group', 'speed', 'strain']);
    await h.page.selectOption('[data-param=colour] select', 'strain');
    const before = await shot('jelly-strain-0');
    await h.page.evaluate(() => torsion.step(30));
    const after = await shot('jelly-strain-30');
    // the jelly spans x in [0.375, 0.625] of the domain, the target box [0.7, 0.95]: canvas columns 0.38-0.62 and 0.69-0.94
    const s = (img: RgbaImage) => ({ rest: share(img, near(UNSTRAINED), [0, 0.66]), strained: share(img, strained, [0, 0.66]), target: share(img, target, [0.66, 1]) });
    const b = s(before), a = s(after);
    console.log(`small jelly by strain: step 0 ${(100 * b.rest).toFixed(2)}% unstrained, ${(100 * b.strained).toFixed(2)}% strained; step 30 ${(100 * a.rest).toFixed(2)}%, ${(100 * a.strained).toFixed(2)}%; target ${(100 * b.target).toFixed(2)}%`);
    expect(b.rest).toBeGreaterThan(0.02);
    expect(b.strained).toBe(0);
    expect(a.strained).toBeGreaterThan(0.005);
    // the loss's box, right of the jelly: 25% x 27% of the domain, most of the right third's height
    expect(b.target).toBeGreaterThan(0.1);
  });

  it('rebuilds at another resolution from the panel, keeping edits; a refused value leaves the scene running', async () => {
    await select('jelly-drop-2d');
    const keys = await h.page.evaluate(() => Array.from(document.querySelectorAll('[data-param]')).map((e) => (e as HTMLElement).dataset.param));
    expect(keys).toContain('resolution');
    const n2 = await h.page.evaluate(() => torsion.stats().particles);
    expect(await h.page.evaluate(() => torsion.setParam('gravity', -4))).toBeNull();
    expect(await h.page.evaluate(() => torsion.setParam('resolution', 1))).toBeNull();
    const n1 = await h.page.evaluate(() => torsion.stats().particles);
    expect(n1 * 4).toBe(n2); // 2D: a quarter as many at 1 particle per cell per axis as at 2
    expect(await h.page.locator('[data-param=gravity] input').inputValue()).toBe('-4');
    expect(await h.page.locator('[data-param=resolution] input').inputValue()).toBe('1');
    await h.page.evaluate(() => torsion.step(5));
    const err = await h.page.evaluate(() => torsion.setParam('resolution', 9));
    expect(err).toMatch(/resolution = 9 .*integers in \[1, 4\]/);
    expect(await h.page.evaluate(() => torsion.errorText())).toMatch(/resolution/);
    await h.page.evaluate(() => torsion.step(5));
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ particles: n1, step: 10, blowUp: null });
    expect(await h.page.locator('[data-param=resolution] input').inputValue()).toBe('1');
  });
});
