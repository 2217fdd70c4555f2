// The page's parameter panel (src/viewer/panel.ts) in headless chromium on SwiftShader: a parameter
// edited in the panel rebuilds the scene through validation and changes the simulation (gravity 0: the
// water column of dam-break-2d does not fall), a bad value is refused with the validation error in the page while the
// running scene keeps its parameters, and the URL names the scene. The pointer (interact.ts): a finger
// dragged through a jelly pushes the particles near its path, a Shift-dragged cloth vertex follows the
// pointer. The demos (demos.ts): the walker's slider orders its speed, the MPC walker reaches a goal.
// One browser for the whole file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGroup, fillBox, sceneBase } from '../../scenes/builders';
import { buildScene } from '../../scenes/index';
import { clothCorners, clothGrid } from '../../scenes/spring-builders';
import { exportSceneJson, maxStableDt } from '../../src/mpm/validate';
import type { SpringScene } from '../../src/springs/scene';
import type { TorsionPageApi } from '../../src/viewer/main';
import { decodePng, saveArtifact, startBrowser, type BrowserHarness } from './harness';

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

// The pointer and the demos (interact.ts, demos.ts), on the same browser. Small scenes opened as
// files keep them quick; each compares with what happens without the pointer or at another command.

const RES = 32;
const DX = 1 / RES;
/** Steps the finger is dragged for (and the jelly left alone for, to compare). */
const DRAG_STEPS = 200;

/**
 * A 16 x 8-cell elastic block at rest in a 32^2 grid, without gravity: undragged, it stays put. Its
 * horizon holds the drag's steps (past it the finger moves a cell per submission at most).
 */
function jellyScene() {
  const s = sceneBase({ name: 'poke-jelly', dim: 2, res: [RES, RES], dt: 1e-3, steps: 400, gravity: [0, 0], boundary: { walls: 'separate', boundCells: 3 } });
  const g = addGroup(s, { name: 'jelly', material: 'elastic', E: 50, nu: 0.2, density: 1 });
  fillBox(s, g, [8 * DX, 12 * DX], [24 * DX, 20 * DX]);
  s.dt = Math.min(1.5e-3, 0.8 * maxStableDt(s));
  return s;
}

/** A 10 x 10 cloth hanging from two corners. */
function clothScene(): SpringScene {
  const n = 10;
  const mesh = clothGrid({ nx: n, ny: n, size: [0.6, 0.6], origin: [0.3, 0.7, 0.3], plane: 'xz', density: 0.2 });
  const [a, b] = clothCorners(n, n);
  return {
    kind: 'shell', name: 'grab-cloth', dim: 3, dt: 1e-3, steps: 200, gravity: [0, -9.8, 0], damping: 1, extent: [1.2, 1, 1.2],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: mesh.vertices, triangles: mesh.triangles, pinned: [a, b],
  };
}

async function openFile(name: string, json: string): Promise<void> {
  await h.page.setInputFiles('#file', { name: `${name}.json`, mimeType: 'application/json', buffer: Buffer.from(json) });
  await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe(name);
}

async function positions(): Promise<number[]> {
  return h.page.evaluate(async () => Array.from(await torsion.readPositions()));
}

function mean(x: number[], dim: number, axis: number): number {
  let s = 0;
  for (let i = axis; i < x.length; i += dim) s += x[i];
  return s / (x.length / dim);
}

describe('pointer and demos', () => {
  it('a finger dragged through the jelly pushes the particles near its path', async () => {
    await openPage('scene=spring-robot-2d&paused'); // a cheap scene to start from
    await openFile('poke-jelly', exportSceneJson(jellyScene()));
    const x0 = await positions();
    await h.page.evaluate((n) => torsion.step(n), DRAG_STEPS);
    const still = await positions();
    await h.page.click('#reset');
    const at = (cx: number, cy: number) => h.page.evaluate(([x, y]) => torsion.toClient([x, y]), [cx * DX, cy * DX]);
    const [sx, sy] = await at(4, 16);
    await h.page.mouse.move(sx, sy);
    await h.page.mouse.down();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: 'finger', grabs: 1 });
    const [ex, ey] = await at(30, 16);
    await h.page.mouse.move(ex, ey, { steps: 4 });
    await h.page.evaluate((n) => torsion.step(n), DRAG_STEPS);
    const g = await h.page.evaluate(() => torsion.grabState());
    // from x = 5.3 (held a cell clear of the wall band), at a quarter of the jelly's wave speed: 0.09 cell per step
    expect(g.at[0] / DX, 'finger x (cells): at its speed limit towards the pointer').toBeGreaterThan(20);
    expect(Math.abs(g.at[1] / DX - 16)).toBeLessThan(0.5);
    const dragged = await positions();
    // the particles that started within two cells of the path's height
    const near: number[] = [];
    for (let p = 0; p < x0.length / 2; p++) if (Math.abs(x0[2 * p + 1] / DX - 16) < 2) near.push(p);
    const moved = (x: number[]) => near.reduce((s, p) => s + x[2 * p] - x0[2 * p], 0) / near.length / DX;
    console.log(`finger: ${near.length} particles near the path moved ${moved(dragged).toFixed(2)} cells in x (undragged ${moved(still).toFixed(3)})`);
    expect(Math.abs(moved(still)), 'cells moved without the finger').toBeLessThan(0.05);
    expect(moved(dragged), 'cells moved right by the finger').toBeGreaterThan(1);
    saveArtifact('interact-finger.png', await h.page.locator('#view').screenshot());
    await h.page.mouse.up();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: '' });
    expect(await h.page.evaluate(() => torsion.stats().blowUp)).toBeNull();
  });

  it('a grabbed 2D robot vertex follows the pointer, and the hand is drawn at it', async () => {
    await openPage('scene=spring-robot-2d&paused');
    const v0 = (await positions()).slice(0, 2);
    const [cx, cy] = await h.page.evaluate((q) => torsion.toClient(q), v0);
    await h.page.mouse.move(cx, cy);
    await h.page.mouse.down();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: 'hand', vertex: 0 });
    await h.page.mouse.move(cx + 40, cy - 100, { steps: 4 });
    await h.page.evaluate(() => torsion.step(200));
    const g = await h.page.evaluate(() => torsion.grabState());
    const v = (await positions()).slice(0, 2);
    const [vx, vy] = await h.page.evaluate((q) => torsion.toClient(q), v);
    const png = await h.page.locator('#view').screenshot();
    saveArtifact('interact-hand-2d.png', png);
    const img = decodePng(png), box = (await h.page.locator('#view').boundingBox())!;
    // marks.ts's gripper orange (translucent over the background): redder and greener than blue
    let sx = 0, sy = 0, n = 0;
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
      const o = 4 * (y * img.width + x);
      const [r, gr, b] = [img.data[o], img.data[o + 1], img.data[o + 2]];
      if (r > 110 && gr > 70 && r > b + 60 && gr > b + 30) { sx += x; sy += y; n++; }
    }
    const hand = [box.x + sx / n, box.y + sy / n];
    console.log(`2D hand: vertex 0 at (${vx.toFixed(0)}, ${vy.toFixed(0)}) px, hand at ${g.at.map((a) => a.toFixed(3))}, its mark drawn at (${hand[0].toFixed(0)}, ${hand[1].toFixed(0)}) px over ${n} px`);
    expect(cy - vy, 'px the vertex rose towards the pointer (100 px above the grab)').toBeGreaterThan(40);
    expect(n).toBeGreaterThan(20);
    expect(Math.hypot(hand[0] - vx, hand[1] - vy), 'px from the hand mark to the vertex').toBeLessThan(6);
    await h.page.mouse.up();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: '' });
  });

  it('a grabbed cloth vertex follows the pointer (Shift-drag in 3D)', async () => {
    await openFile('grab-cloth', JSON.stringify(clothScene()));
    await h.page.evaluate(() => torsion.step(20));
    const corner = clothCorners(10, 10)[3];
    const p = (await positions()).slice(3 * corner, 3 * corner + 3);
    const [cx, cy] = await h.page.evaluate((q) => torsion.toClient(q), p);
    await h.page.mouse.move(cx, cy);
    await h.page.keyboard.down('Shift');
    await h.page.mouse.down();
    await h.page.keyboard.up('Shift');
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: 'hand', vertex: corner });
    await h.page.mouse.move(cx, cy - 80, { steps: 4 }); // 80 px up the screen
    await h.page.evaluate(() => torsion.step(150));
    const q = (await positions()).slice(3 * corner, 3 * corner + 3);
    const [qx, qy] = await h.page.evaluate((v) => torsion.toClient(v), q);
    console.log(`hand: vertex ${corner} from (${cx.toFixed(0)}, ${cy.toFixed(0)}) px to (${qx.toFixed(1)}, ${qy.toFixed(1)}), pointer at (${cx.toFixed(0)}, ${(cy - 80).toFixed(0)}); rise ${(q[1] - p[1]).toFixed(3)}`);
    expect(Math.hypot(qx - cx, qy - (cy - 80)), 'px from the pointer (80 at the grab)').toBeLessThan(8);
    expect(q[1] - p[1], 'rise of the vertex').toBeGreaterThan(0.05);
    saveArtifact('interact-cloth.png', await h.page.locator('#view').screenshot());
    await h.page.mouse.up();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: '' });
    await h.page.evaluate(() => torsion.step(10));
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'grab-cloth', blowUp: null });
    // the page names a cloth's items as what they are, and not MPM alone in its title
    expect(await h.page.locator('#status').textContent()).toMatch(/ · 121 vertices · /);
    expect(await h.page.locator('h1').textContent()).not.toMatch(/MPM/);
  });
});

/**
 * Walker demo: commands (m/s), steps to settle after a change, steps measured over. At 0 the walker
 * stands (held within STAND_TOL m/s); at the fast command it walks forward. Its gait is erratic from
 * one clock period to the next (1.5 s means at 0.08 range from about 0.04 to 0.1 m/s), so how near the command it holds
 * every trained speed, over 3 s, is tests/control/walker-demo.test.ts's (Node, lavapipe).
 */
const WALKER_SLOW = 0, WALKER_FAST = 0.08;
const WALKER_SETTLE = 1000, WALKER_STEPS = 1500, STAND_TOL = 0.01;

/**
 * MPC demo: the goal, 0.1 m behind the walker (`torsion mpc` with this goal: 0.07 m towards it by step
 * 200, then within 0.015 of it), and the world's steps to wait for (one plan per 50).
 */
const MPC_GOAL = -0.1, MPC_STEPS = 250;

describe('demos', () => {
  it("the walker demo's speed slider: it stands at 0 and walks forward at 0.08 m/s", async () => {
    await openPage('scene=spring-robot-2d&paused');
    // paused in the task that started it, before a frame plays: a load-dependent number of played
    // steps would leave the walker anywhere in its erratic gait
    const started = await h.page.evaluate(async () => {
      await torsion.demo.start('walker');
      const s = torsion.stats();
      (document.querySelector('#play') as HTMLElement).click();
      return { ...s, after: torsion.stats() };
    });
    expect(started).toMatchObject({ scene: 'spring-walker-demo-2d', playing: true, after: { playing: false, step: 0 } });
    expect(await h.page.locator('#scene option:checked').textContent(), 'the scene list shows the demo scene').toBe('spring-walker-demo-2d (demo)');
    const slider = h.page.locator('.lil-controller', { hasText: 'commanded speed' }).locator('input').first();
    const speedAt = async (command: number) => {
      await slider.fill(String(command));
      await slider.press('Enter');
      expect(await h.page.evaluate(() => torsion.demo.state().command)).toBe(command);
      await h.page.evaluate((n) => torsion.step(n), WALKER_SETTLE);
      const a = mean(await positions(), 2, 0);
      await h.page.evaluate((n) => torsion.step(n), WALKER_STEPS);
      return (mean(await positions(), 2, 0) - a) / (WALKER_STEPS * 1e-3);
    };
    // the fast command first: from a stand the walker takes its first steps backwards (half a second or so)
    const fast = await speedAt(WALKER_FAST);
    const slow = await speedAt(WALKER_SLOW);
    console.log(`walker demo: commanded ${WALKER_SLOW} -> ${slow.toFixed(3)} m/s, ${WALKER_FAST} -> ${fast.toFixed(3)} m/s`);
    expect(Math.abs(slow - WALKER_SLOW), `m/s off the command ${WALKER_SLOW}: stands`).toBeLessThanOrEqual(STAND_TOL);
    expect(fast - slow, 'm/s faster at the higher command').toBeGreaterThan(0.25 * (WALKER_FAST - WALKER_SLOW));
    saveArtifact('walker-demo.png', await h.page.screenshot());
  });

  it('the MPC demo walks the robot towards the goal', async () => {
    await openPage('scene=spring-robot-2d&paused');
    // the goal given before the first plan: a goal moved later waits for the plan in progress
    const com0 = (buildScene('robot-chase-mpc-2d') as SpringScene).mpc!.goal[0][1];
    await h.page.evaluate((x) => torsion.demo.start('mpc', { goal: [x, 0] }), com0 + MPC_GOAL);
    const x0 = mean(await positions(), 2, 0);
    const t0 = Date.now();
    // the world runs at most a few dozen steps past the state each plan starts from
    await expect.poll(() => h.page.evaluate(() => torsion.stats().step), { timeout: 90_000, interval: 500 }).toBeGreaterThanOrEqual(MPC_STEPS);
    const s = await h.page.evaluate(() => ({ demo: torsion.demo.state(), step: torsion.stats().step }));
    const moved = mean(await positions(), 2, 0) - x0;
    console.log(`mpc demo: ${s.demo.replans} plans in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${s.step} steps; centre moved ${moved.toFixed(3)} m, the goal at ${MPC_GOAL}; distance at the last plan ${s.demo.distance?.toFixed(3)}`);
    expect(moved, 'm moved (backwards, towards the goal; standing: 0)').toBeLessThan(-0.05);
    expect(s.demo.distance!).toBeLessThan(0.06);
    expect(await h.page.evaluate(() => torsion.errorText())).toBe('');
    expect(await h.page.locator('#scene').inputValue(), 'the scene list shows the demo scene').toBe('robot-chase-mpc-2d');
    saveArtifact('mpc-demo.png', await h.page.screenshot());
    await h.page.evaluate(() => torsion.demo.stop());
  });
});
