// The page's parameter panel (src/viewer/panel.ts) in headless chromium on SwiftShader: a parameter
// edited in the panel rebuilds the scene through validation and changes the simulation (gravity 0: the
// water column of dam-break-2d does not fall), a bad value is refused with the validation error in the page while the
// running scene keeps its parameters, and the URL names the scene. One browser for the whole file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TorsionPageApi } from '../../src/viewer/main';
import { saveArtifact, startBrowser, type BrowserHarness } from './harness';

let h: BrowserHarness;
beforeAll(async () => { h = await startBrowser(); });
afterAll(async () => { await h?.close(); });

declare const torsion: TorsionPageApi;

async function openPage(query: string): Promise<void> {
  await h.page.goto(`${h.url}index.html?${query}`);
  await h.page.waitForFunction(() => 'torsion' in window);
  const failed = await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => `${e.name}: ${e.message}`));
  expect(failed, `page logs:\n${h.logs.join('\n')}`).toBeNull();
}

/** Mean height (axis 1) of the particles. */
async function meanY(): Promise<number> {
  const x = await h.page.evaluate(async () => Array.from(await torsion.readPositions()));
  let sum = 0;
  for (let p = 1; p < x.length; p += 2) sum += x[p];
  return sum / (x.length / 2);
}

describe('parameter panel', () => {
  it('gravity 0 keeps the water column standing; the default gravity lets it fall', async () => {
    await openPage('scene=dam-break-2d&paused');
    expect(new URL(h.page.url()).searchParams.get('scene')).toBe('dam-break-2d');
    // the panel lists the scene's parameters
    const keys = await h.page.evaluate(() => Array.from(document.querySelectorAll('[data-param]')).map((e) => (e as HTMLElement).dataset.param));
    expect(keys).toContain('gravity');
    expect(keys).toContain('E.0');
    const y0 = await meanY();
    await h.page.evaluate(() => torsion.step(100));
    const fell = y0 - (await meanY());
    expect(await h.page.evaluate(() => torsion.setParam('gravity', 0))).toBeNull();
    expect(await h.page.evaluate(() => torsion.stats().step)).toBe(0);
    await h.page.evaluate(() => torsion.step(100));
    const still = y0 - (await meanY());
    expect(fell).toBeGreaterThan(0.002);
    expect(Math.abs(still)).toBeLessThan(fell / 20);
    saveArtifact('interact-gravity0.png', await h.page.screenshot());
  });

  it('a bad value shows the validation error and the running scene keeps going', async () => {
    await openPage('scene=dam-break-2d&paused');
    await h.page.evaluate(() => torsion.step(20));
    const err = await h.page.evaluate(() => torsion.setParam('nu.0', 0.7));
    expect(err).toMatch(/nu/);
    expect(await h.page.evaluate(() => torsion.errorText())).toMatch(/nu/);
    // not reloaded: the step count goes on from 20
    await h.page.evaluate(() => torsion.step(10));
    const s = await h.page.evaluate(() => torsion.stats());
    expect(s.step).toBe(30);
    expect(s.blowUp).toBeNull();
    saveArtifact('interact-bad-param.png', await h.page.screenshot());
  });
});
