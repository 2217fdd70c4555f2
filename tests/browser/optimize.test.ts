// The page's Optimize panel on a small task: the CLI's optimization code, run in Chromium on the
// scene shown, lowers the loss in a few iterations, plots it, and leaves the best trajectory playing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TorsionPageApi } from '../../src/viewer/main';
import { saveArtifact, startBrowser, type BrowserHarness } from './harness';
import { buildScene } from '../../scenes/index';
import { readFileSync } from 'node:fs';
import { exportSceneJson, validateScene } from '../../src/mpm/validate';
import type { MpmScene } from '../../src/mpm/scene';
import type { SpringScene } from '../../src/springs/scene';

declare const torsion: TorsionPageApi;

let h: BrowserHarness;
beforeAll(async () => { h = await startBrowser(); }, 60_000);
afterAll(async () => { await h?.close(); });

describe('Optimize in the page', () => {
  it('lowers jelly-throw-2d\'s loss (over its first 60 steps) in 3 iterations, plots it, and replays the best point', async () => {
    await h.page.goto(`${h.url}index.html?paused&scene=jelly-throw-2d`);
    await h.page.waitForFunction(() => 'torsion' in window);
    expect(await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => e.message)), h.logs.join('\n')).toBeNull();
    expect(await h.page.locator('#optimize').isEnabled()).toBe(true);
    const r = await h.page.evaluate(() => torsion.optimize(3, 60));
    expect(r.error, h.logs.join('\n')).toBeNull();
    expect(r.iterations).toBe(3);
    expect(r.losses.length).toBe(3);
    expect(r.bestLoss).toBeLessThan(r.losses[0]);
    expect(r.losses[2]).toBeLessThan(r.losses[0]);
    expect(r.gradientNorms.every((g) => g !== null && g > 0)).toBe(true);
    await expect.poll(() => h.page.locator('#optimize-status').textContent()).toMatch(/^iteration 3\/3 · loss .* · best .* · \|grad\| /);
    expect(await h.page.locator('#optimize-plot canvas').count()).toBeGreaterThan(0);
    // The best point's trajectory plays in the view.
    const f = await h.page.evaluate(() => torsion.showFrame(0));
    expect(f?.frames).toBe(61);
    saveArtifact('optimize-jelly-throw-2d.png', await h.page.screenshot());
    expect(await h.page.locator('#optimize').isEnabled()).toBe(true);
    // Save best downloads the scene with the best point written in: a scene file with the tuned launch velocity
    const [download] = await Promise.all([h.page.waitForEvent('download'), h.page.click('#optimize-save')]);
    expect(download.suggestedFilename()).toBe('jelly-throw-2d-best.json');
    const saved = validateScene(JSON.parse(readFileSync((await download.path())!, 'utf8'))) as MpmScene;
    const start = buildScene('jelly-throw-2d') as MpmScene;
    expect(saved.particles.v[0]).not.toBe(start.particles.v[0]);
    expect(saved.particles.x).toEqual(start.particles.x);
  }, 120_000);

  it('names what it tunes, also for a scene file that lists no parameters (the default initialVelocity)', async () => {
    await h.page.goto(`${h.url}index.html?paused&scene=jelly-throw-2d`);
    await h.page.waitForFunction(() => 'torsion' in window);
    await h.page.evaluate(() => torsion.ready);
    expect(await h.page.locator('#optimize').getAttribute('title')).toBe("minimise jelly-throw-2d's loss over initialVelocity");
    const file = JSON.parse(exportSceneJson(buildScene('jelly-throw-2d')));
    delete file.optimize;
    file.name = 'no-task-list';
    await h.page.setInputFiles('#file', [{ name: 'no-task-list.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) }]);
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('no-task-list');
    expect(await h.page.locator('#optimize').getAttribute('title')).toBe("minimise no-task-list's loss over initialVelocity");
  }, 120_000);

  it('a run that cannot start says so in its status line, not "starting"', async () => {
    // jelly-sysid-2d's loss reads an observed step past 60: a 60-step run is refused before its first iteration
    await h.page.goto(`${h.url}index.html?paused&scene=jelly-sysid-2d`);
    await h.page.waitForFunction(() => 'torsion' in window);
    await h.page.evaluate(() => torsion.ready);
    const r = await h.page.evaluate(() => torsion.optimize(2, 60));
    expect(r.error).not.toBeNull();
    expect(r.iterations).toBe(0);
    expect(await h.page.locator('#optimize-status').textContent()).toBe('jelly-sysid-2d: did not start (see the message above)');
  }, 120_000);

  it("says what the page can do when a gradient explodes (no CLI options)", async () => {
    // spring-robot-2d tuned per step (its own task tunes a periodic gait): |grad| grows 1e3-fold in two iterations
    await h.page.goto(`${h.url}index.html?paused&scene=spring-robot-2d`);
    await h.page.evaluate(() => torsion.ready);
    const perStep = { ...buildScene('spring-robot-2d'), name: 'robot-per-step' } as SpringScene;
    perStep.optimize = { params: ['actuation'], learningRate: 0.1, iterations: 30 };
    await h.page.setInputFiles('#file', { name: 'robot-per-step.json', mimeType: 'application/json', buffer: Buffer.from(exportSceneJson(perStep)) });
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe('robot-per-step');
    const r = await h.page.evaluate(() => torsion.optimize(3));
    expect(r.error).toBeNull();
    const text = await h.page.evaluate(() => torsion.errorText());
    expect(text).toMatch(/^warning: the gradient norm grew .*x since the first iteration/);
    expect(text).toMatch(/open the scene as a file with optimize\.clip/);
    expect(text).not.toMatch(/--/);
    saveArtifact('optimize-spring-robot-2d-plot.png', await h.page.locator('#optimize-plot').screenshot());
  }, 120_000);

  it("clears the last run's loss and plot when another scene is chosen, also during the run, or the scene is edited during it", async () => {
    await h.page.goto(`${h.url}index.html?paused&scene=jelly-throw-2d`);
    await h.page.evaluate(() => torsion.ready);
    const r = await h.page.evaluate(() => torsion.optimize(1, 60));
    expect(r.error).toBeNull();
    expect(await h.page.locator('#optimize-status').textContent()).toMatch(/^iteration 1\/1 · loss /);
    expect(await h.page.locator('#optimize-plot').isHidden()).toBe(false);
    await h.page.selectOption('#scene', 'jelly-sysid-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-sysid-2d');
    // jelly-throw-2d's numbers under jelly-sysid-2d read as the new scene's loss
    await expect.poll(() => h.page.locator('#optimize-status').textContent()).toBe('');
    expect(await h.page.locator('#optimize-plot').isHidden()).toBe(true);
    // chosen while a run is in flight: the run stops after its iteration and leaves nothing behind
    await h.page.selectOption('#scene', 'jelly-throw-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-throw-2d');
    const running = h.page.evaluate(() => torsion.optimize(50, 60));
    await expect.poll(() => h.page.locator('#optimize-status').textContent(), { timeout: 30_000 }).toMatch(/^iteration /);
    await h.page.selectOption('#scene', 'jelly-sysid-2d');
    expect((await running).stopped).toBe(true);
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-sysid-2d');
    await expect.poll(() => h.page.locator('#optimize-status').textContent()).toBe('');
    expect(await h.page.locator('#optimize-plot').isHidden()).toBe(true);
    expect(await h.page.locator('#optimize').isEnabled()).toBe(true);
    // a parameter edited during a run: the numbers were the unedited scene's
    await h.page.selectOption('#scene', 'jelly-throw-2d');
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-throw-2d');
    const edited = h.page.evaluate(() => torsion.optimize(50, 60));
    await expect.poll(() => h.page.locator('#optimize-status').textContent(), { timeout: 30_000 }).toMatch(/^iteration /);
    expect(await h.page.evaluate(() => torsion.setParam('gravity', -5))).toBeNull();
    expect((await edited).stopped).toBe(true);
    await expect.poll(() => h.page.locator('#optimize-status').textContent()).toBe('');
  }, 120_000);

  it('stops when asked, and has no Optimize on a scene without a task', async () => {
    await h.page.goto(`${h.url}index.html?paused&scene=jelly-throw-2d`);
    await h.page.evaluate(() => torsion.ready);
    const r = await h.page.evaluate(() => { const p = torsion.optimize(50, 60); torsion.stopOptimize(); return p; });
    expect(r.stopped).toBe(true);
    expect(r.iterations).toBeLessThanOrEqual(1);
    await h.page.goto(`${h.url}index.html?paused&scene=dam-break-2d`);
    await h.page.evaluate(() => torsion.ready);
    expect(await h.page.locator('#optimize').isDisabled()).toBe(true);
    expect(await h.page.evaluate(() => torsion.optimize(2).then(() => 'ran', (e: Error) => e.message))).toMatch(/no optimization task/);
  }, 120_000);
});
