// The page's three.js view (src/viewer/three-view.ts) in headless chromium on SwiftShader: a 3D MPM
// scene and a cloth reach the canvas (screenshots checked, and saved under ARTIFACTS), and playing
// maps no GPU buffer but the blow-up flag's few bytes: positions go from the simulator's state buffer
// to three's draw buffers on the GPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TorsionPageApi } from '../../src/viewer/main';
import { decodePng, saveArtifact, startBrowser, type BrowserHarness, type RgbaImage } from './harness';

let h: BrowserHarness;
beforeAll(async () => { h = await startBrowser(); });
afterAll(async () => { await h?.close(); });

declare const torsion: TorsionPageApi;
declare global {
  interface Window { mapped: { label: string; size: number }[] }
}

const BACKGROUND = [20, 23, 28];

async function openScene(query: string): Promise<void> {
  await h.page.goto(`${h.url}index.html?${query}`);
  await h.page.waitForFunction(() => 'torsion' in window);
  const failed = await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => `${e.name}: ${e.message}`));
  expect(failed, `page logs:\n${h.logs.join('\n')}`).toBeNull();
  const s = await h.page.evaluate(() => torsion.stats());
  expect(s.viewFallback, 'the three.js view fell back to flat discs').toBeNull();
  expect(s.view).toBe('three');
}

/** The canvas as decoded pixels, also saved as ARTIFACTS/<name>.png. */
async function canvasShot(name: string): Promise<RgbaImage> {
  const png = await h.page.locator('#view').screenshot();
  saveArtifact(`${name}.png`, png);
  return decodePng(png);
}

/** Pixels that are clearly blue (group 0 of pack.wgsl, lit or shaded): their share and their distinct shades. */
function bluePixels(img: RgbaImage): { share: number; shades: number; background: number } {
  let blue = 0, bg = 0;
  const shades = new Set<number>();
  for (let o = 0; o < img.data.length; o += 4) {
    const [r, g, b] = [img.data[o], img.data[o + 1], img.data[o + 2]];
    if (Math.abs(r - BACKGROUND[0]) + Math.abs(g - BACKGROUND[1]) + Math.abs(b - BACKGROUND[2]) <= 12) bg++;
    if (b > 80 && b > r + 40 && b > g + 15) {
      blue++;
      shades.add(b >> 3);
    }
  }
  const n = img.data.length / 4;
  return { share: blue / n, shades: shades.size, background: bg / n };
}

describe('three.js view', () => {
  it('draws a 3D MPM scene as shaded spheres in perspective', async () => {
    await openScene('paused&scene=dam-break-3d');
    await h.page.evaluate(() => torsion.step(10));
    const px = bluePixels(await canvasShot('dam-break-3d'));
    console.log(`dam-break-3d: ${(100 * px.share).toFixed(1)}% blue in ${px.shades} shades, ${(100 * px.background).toFixed(1)}% background`);
    // The column of fluid covers part of the canvas, the rest is background and the domain's box.
    expect(px.share).toBeGreaterThan(0.02);
    expect(px.share).toBeLessThan(0.5);
    expect(px.background).toBeGreaterThan(0.4);
    // Shaded impostors, not flat discs: the blue comes in many shades.
    expect(px.shades).toBeGreaterThan(6);
  });

  it('draws a cloth as a lit mesh that follows the simulation', async () => {
    await openScene('paused&scene=cloth-drape-3d');
    const before = bluePixels(await canvasShot('cloth-drape-3d-0'));
    // Dropped 0.15 above the ball, it reaches it after ~350 steps and drapes over it.
    await h.page.evaluate(() => torsion.step(900));
    const after = bluePixels(await canvasShot('cloth-drape-3d-900'));
    console.log(`cloth-drape-3d: step 0 ${(100 * before.share).toFixed(1)}% blue in ${before.shades} shades; step 900 ${(100 * after.share).toFixed(1)}% in ${after.shades}`);
    expect(before.share).toBeGreaterThan(0.03);
    expect(after.share).toBeGreaterThan(0.03);
    // Draped, its normals differ across the mesh: the lighting gives it more shades than when flat.
    expect(after.shades).toBeGreaterThan(before.shades);
    expect(after.shades).toBeGreaterThan(4);
  });

  it('maps no GPU buffer while playing, except the blow-up flag', async () => {
    const page = h.page;
    await page.addInitScript(() => {
      window.mapped = [];
      const map = GPUBuffer.prototype.mapAsync;
      GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
        window.mapped.push({ label: this.label, size: this.size });
        return map.apply(this, args);
      };
    });
    await openScene('paused&scene=cloth-drape-3d&spf=2');
    await page.evaluate(() => { window.mapped.length = 0; });
    await page.click('#play');
    // 100 frames of 2 steps: the blow-up flag is read every 30 stepping frames.
    await page.waitForFunction(() => torsion.stats().step >= 200, null, { timeout: 90_000 });
    await page.click('#play');
    const { mapped, step } = await page.evaluate(() => ({ mapped: window.mapped.slice(), step: torsion.stats().step }));
    console.log(`playing ${step} steps mapped ${mapped.length} buffer(s): ${[...new Set(mapped.map((m) => `${m.label} (${m.size} B)`))].join(', ')}`);
    for (const m of mapped) {
      expect(m.label, 'only the status flag is read back').toMatch(/status\.staging$/);
      expect(m.size).toBeLessThanOrEqual(16);
    }
    expect(mapped.length).toBeLessThanOrEqual(Math.ceil(step / 2 / 30) + 1);
  });
});
