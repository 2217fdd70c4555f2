// The page (built site, headless chromium on SwiftShader) on small scenes opened as files: a cloth
// coloured by strain is at the bottom of the ramp at rest and shows strained colours once a gripper
// stretches it; the loss targets of per-item matches are drawn where they are (match-positions'
// observed positions as dots in 2D, match-pairs' pairs as a line between the items in 3D); and in
// 3D a Shift-drag drags a finger through a jelly, pushing the particles near its path, where a plain
// drag orbits the camera and leaves them alone. One browser for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGroup, fillBox, sceneBase } from '../../scenes/builders';
import { clothGrid, clothVertex } from '../../scenes/spring-builders';
import { DRAPE_BALL } from '../../scenes/obj-drape';
import { exportSceneJson, maxStableDt } from '../../src/mpm/validate';
import type { SpringScene } from '../../src/springs/scene';
import type { TorsionPageApi } from '../../src/viewer/main';
import { decodePng, saveArtifact, startBrowser, type BrowserHarness, type RgbaImage } from './harness';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startBrowser();
  await h.page.goto(`${h.url}index.html?scene=spring-robot-2d&paused`); // a cheap scene to start from
  await h.page.waitForFunction(() => 'torsion' in window);
  const failed = await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => `${e.name}: ${e.message}`));
  expect(failed, `page logs:\n${h.logs.join('\n')}`).toBeNull();
});
afterAll(async () => {
  if (h) console.log(`page logs:\n${h.logs.slice(-20).join('\n')}`);
  await h?.close();
});

declare const torsion: TorsionPageApi;

async function openFile(name: string, json: string): Promise<void> {
  await h.page.setInputFiles('#file', { name: `${name}.json`, mimeType: 'application/json', buffer: Buffer.from(json) });
  await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe(name);
}

async function positions(): Promise<number[]> {
  return h.page.evaluate(async () => Array.from(await torsion.readPositions()));
}

async function shot(name: string): Promise<{ img: RgbaImage; box: { x: number; y: number } }> {
  await h.page.evaluate(() => torsion.step(0)); // drawn
  const view = h.page.locator('#view');
  const png = await view.screenshot();
  saveArtifact(`${name}.png`, png);
  const box = (await view.boundingBox())!;
  return { img: decodePng(png), box };
}

type Test = (r: number, g: number, b: number) => boolean;

function share(img: RgbaImage, test: Test): number {
  let hit = 0;
  for (let o = 0; o < img.data.length; o += 4) if (test(img.data[o], img.data[o + 1], img.data[o + 2])) hit++;
  return hit / (img.width * img.height);
}

/** Whether any pixel within `r` px of client point (cx, cy) passes `test`. */
function near(s: { img: RgbaImage; box: { x: number; y: number } }, [cx, cy]: number[], test: Test, r = 3): boolean {
  const { img, box } = s;
  for (let y = Math.round(cy - box.y) - r; y <= Math.round(cy - box.y) + r; y++) {
    for (let x = Math.round(cx - box.x) - r; x <= Math.round(cx - box.x) + r; x++) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      const o = 4 * (y * img.width + x);
      if (test(img.data[o], img.data[o + 1], img.data[o + 2])) return true;
    }
  }
  return false;
}

/** marks.ts's target mint (0.25, 1, 0.7); the group palette's blue and the strain ramp's low end are bluer, its high end redder. */
const mint: Test = (r, g, b) => g > 200 && b > 120 && r < 120 && g > b + 40;
/**
 * The strain ramp under the lights: its rest end is bluer than green (about (20, 55, 85); the
 * domain's frame is greyer), from about a third of the way up greener than blue, not as blue as the
 * mint target line, not as red as the orange gripper.
 */
const atRest: Test = (r, g, b) => b > 60 && b > g + 15 && r < 40;
const strained: Test = (r, g, b) => g > 100 && g > b + 30 && b < r + 40 && r < g + 16;

/** The group palette's first colour, a light blue (about (65, 125, 220) lit), far from the grey floor. */
const groupBlue: Test = (r, g, b) => b > 150 && b > r + 80;

const N = 8;
const SIZE = 0.4;
const STRETCH_STEPS = 100;

/**
 * An 8 x 8 cloth without gravity, one edge pinned, the opposite edge carried 15% of the cloth's
 * size away by a gripper over 100 steps: stretched by about that much. Its match-pairs loss pairs
 * the two free corners.
 */
function stretchCloth(): SpringScene {
  const mesh = clothGrid({ nx: N, ny: N, size: [SIZE, SIZE], origin: [0.3, 0.4, 0.3], plane: 'xz', density: 0.2 });
  const edge = (i: number) => Array.from({ length: N + 1 }, (_, j) => clothVertex(N, i, j));
  const held = edge(N), x = mesh.vertices.x;
  const start = [x[3 * held[0]], x[3 * held[0] + 1], x[3 * held[0] + 2]];
  const rows = Array.from({ length: STRETCH_STEPS }, (_, t) => [start[0] + 0.15 * SIZE * Math.min(1, (t + 1) / 80), start[1], start[2]]);
  return {
    kind: 'shell', name: 'stretch-cloth', dim: 3, dt: 1e-3, steps: STRETCH_STEPS, gravity: [0, 0, 0], damping: 2, extent: [1, 1, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: mesh.vertices, triangles: mesh.triangles, pinned: edge(0),
    grippers: [{ name: 'hand', vertices: held, position: rows }],
    loss: { kind: 'match-pairs', pairs: [[clothVertex(N, 0, N), clothVertex(N, N, 0)]] },
  };
}

/** An 8 x 8 cloth at rest on a soft floor, sunk into it by a little of the contact's softness (as cloth-fold-3d starts). */
function floorCloth(): SpringScene {
  const floor = 0.05;
  const mesh = clothGrid({ nx: N, ny: N, size: [SIZE, SIZE], origin: [0.3, floor - 1e-4, 0.3], plane: 'xz', density: 0.2 });
  return {
    kind: 'shell', name: 'floor-cloth', dim: 3, dt: 1e-3, steps: 10, gravity: [0, -9.8, 0], damping: 2, extent: [1, 1, 1],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: mesh.vertices, triangles: mesh.triangles, ground: { height: floor, friction: 0.6, softness: 0.002 },
  };
}

const RES = 16;
const DX = 1 / RES;

/**
 * A 2D jelly (16 x 8 cells at the domain's bottom left) whose match-positions loss observes three
 * particles at points on the right, away from everything else.
 */
function observedJelly(): { json: string; points: number[][] } {
  const s = sceneBase({ name: 'observed-jelly', dim: 2, res: [32, 32], dt: 1e-3, steps: 50, gravity: [0, 0], boundary: { walls: 'separate', boundCells: 3 } });
  const g = addGroup(s, { name: 'jelly', material: 'elastic', E: 50, nu: 0.2, density: 1 });
  fillBox(s, g, [4 / 32, 4 / 32], [12 / 32, 12 / 32]);
  const points = [[0.7, 0.3], [0.8, 0.5], [0.75, 0.75]];
  s.loss = { kind: 'match-positions', items: [0, 1, 2], target: points };
  return { json: exportSceneJson(s), points };
}

/** Steps the finger is dragged for (the jelly's horizon: one submission, every step its own row). */
const FINGER_STEPS = 100;

/** An 8 x 4 x 4-cell elastic block at the middle of a 16^3 grid, without gravity: undragged, it stays put. */
function jelly3d(): string {
  const s = sceneBase({ name: 'poke-jelly-3d', dim: 3, res: [RES, RES, RES], dt: 1e-3, steps: 100, gravity: [0, 0, 0], boundary: { walls: 'separate', boundCells: 3 } });
  const g = addGroup(s, { name: 'jelly', material: 'elastic', E: 50, nu: 0.2, density: 1 });
  fillBox(s, g, [4 * DX, 6 * DX, 6 * DX], [12 * DX, 10 * DX, 10 * DX]);
  s.dt = Math.min(1.5e-3, 0.8 * maxStableDt(s));
  return exportSceneJson(s);
}

describe('page drawing in 3D and per-item targets', () => {
  it("draws match-positions' observed points (2D) at their places", async () => {
    const { json, points } = observedJelly();
    await openFile('observed-jelly', json);
    const s = await shot('match-positions');
    for (const p of points) {
      const c = await h.page.evaluate((q) => torsion.toClient(q), p);
      expect(near(s, c, mint), `a target dot at ${p} (client ${c.map((v) => v.toFixed(0))})`).toBe(true);
    }
    // and nowhere near the jelly's centre
    const c = await h.page.evaluate(() => torsion.toClient([0.25, 0.25]));
    expect(near(s, c, mint)).toBe(false);
  });

  it("draws match-pairs' pair as a line between its items; colours the cloth by strain at rest and stretched", async () => {
    const scene = stretchCloth();
    await openFile('stretch-cloth', JSON.stringify(scene));
    const [a, b] = scene.loss!.kind === 'match-pairs' ? scene.loss!.pairs[0] : [];
    const x = await positions();
    const mid = [0, 1, 2].map((k) => (x[3 * a + k] + x[3 * b + k]) / 2);
    const s0 = await shot('match-pairs');
    const c = await h.page.evaluate((q) => torsion.toClient(q), mid);
    expect(near(s0, c, mint), `the pair's line at its midpoint (client ${c.map((v) => v.toFixed(0))})`).toBe(true);

    expect(await h.page.evaluate(() => torsion.colorModes())).toContain('strain');
    await h.page.evaluate(() => torsion.setColorMode('strain'));
    const rest = (await shot('cloth-strain-0')).img;
    await h.page.evaluate((n) => torsion.step(n), STRETCH_STEPS);
    const pulled = (await shot(`cloth-strain-${STRETCH_STEPS}`)).img;
    const r = { rest: share(rest, atRest), strained: share(rest, strained) };
    const p = { rest: share(pulled, atRest), strained: share(pulled, strained) };
    console.log(`cloth by strain: at rest ${(100 * r.rest).toFixed(2)}% unstrained, ${(100 * r.strained).toFixed(2)}% strained; stretched ${(100 * p.rest).toFixed(2)}%, ${(100 * p.strained).toFixed(2)}%`);
    expect(r.rest).toBeGreaterThan(0.01);
    expect(r.strained).toBeLessThan(0.001);
    expect(p.strained).toBeGreaterThan(0.01);
    expect(p.rest).toBeLessThan(r.rest / 5);
    expect(await h.page.evaluate(() => torsion.stats().blowUp)).toBeNull();
  });

  it('draws a cloth lying on a soft floor over the floor, not hidden in it', async () => {
    await openFile('floor-cloth', JSON.stringify(floorCloth()));
    await h.page.evaluate(() => torsion.setColorMode('group'));
    const cloth = share((await shot('cloth-on-floor')).img, groupBlue);
    console.log(`cloth on the floor: ${(100 * cloth).toFixed(2)}% of the canvas`);
    // the whole cloth, seen from above at a slant, covers about 2% of the canvas (buried: a few tenths of a percent)
    expect(cloth).toBeGreaterThan(0.015);
  });

  it('lights a cloth seen from below: its underside is not black', async () => {
    // cloth-drape-3d at step 0: a flat cloth at y = 0.8 over the ball; a plain drag up orbits the
    // camera under the cloth (above the floor), looking up at its underside
    await h.page.goto(`${h.url}index.html?scene=cloth-drape-3d&paused`);
    await h.page.waitForFunction(() => 'torsion' in window);
    await h.page.evaluate(() => torsion.ready);
    const box = (await h.page.locator('#view').boundingBox())!;
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    await h.page.mouse.move(cx, cy);
    await h.page.mouse.down();
    for (let i = 1; i <= 10; i++) await h.page.mouse.move(cx, cy - 10 * i);
    await h.page.mouse.up();
    const under = share((await shot('cloth-from-below')).img, (r, g, b) => b > 60 && b > r + 30);
    console.log(`cloth underside lit blue: ${(100 * under).toFixed(2)}% of the canvas`);
    // the underside fills about a tenth of the canvas; lit by the sun above alone it was near black (none passed)
    expect(under).toBeGreaterThan(0.05);
  });

  it('an .obj file opened in the page drapes as a cloth on the ball; a malformed one is named by its line', async () => {
    // a 6 x 6 napkin of quads, corners written as v/vt/vn as exporters do
    const lines = ['vt 0 0', 'vn 0 1 0'];
    for (let j = 0; j <= 6; j++) for (let i = 0; i <= 6; i++) lines.push(`v ${i / 6} 0 ${j / 6}`);
    const id = (i: number, j: number) => j * 7 + i + 1;
    for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) lines.push(`f ${[id(i, j), id(i, j + 1), id(i + 1, j + 1), id(i + 1, j)].map((v) => `${v}/1/1`).join(' ')}`);
    await h.page.setInputFiles('#file', { name: 'napkin.obj', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) });
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe('napkin');
    const x0 = await positions();
    expect(x0.length).toBe(49 * 3);
    await h.page.evaluate(() => torsion.step(300));
    const x = await positions();
    const { centre, radius } = DRAPE_BALL;
    let deepest = 0, lowest = Infinity;
    for (let i = 0; i < 49; i++) {
      deepest = Math.max(deepest, radius - Math.hypot(...[0, 1, 2].map((k) => x[3 * i + k] - centre[k])));
      lowest = Math.min(lowest, x[3 * i + 1]);
    }
    saveArtifact('obj-drape.png', await h.page.locator('#view').screenshot());
    console.log(`napkin.obj after 300 steps: lowest ${lowest.toFixed(3)}, deepest inside the ball ${(deepest * 1000).toFixed(2)} mm`);
    expect(lowest, 'fell onto the ball and over it').toBeLessThan(Math.min(...x0.filter((_, k) => k % 3 === 1)) - 0.05);
    expect(deepest, 'inside the ball').toBeLessThan(3e-3); // the contact's softness is 2 mm
    expect(await h.page.evaluate(() => torsion.stats().blowUp)).toBeNull();
    await h.page.setInputFiles('#file', { name: 'bad.obj', mimeType: 'text/plain', buffer: Buffer.from('v 0 0 0\nv 1 0 0\nf 1 2 3\n') });
    await expect.poll(() => h.page.evaluate(() => torsion.errorText())).toMatch(/bad\.obj is not a mesh the page can drape: OBJ line 3: vertex 3 does not exist/);
    expect(await h.page.evaluate(() => torsion.stats().scene)).toBe('napkin');
  });

  it('a flat OBJ sheet whose normals face down falls flat: a hinge whose sine is -0 is at angle 0', async () => {
    // quads wound clockwise seen from +y; SwiftShader's atan2(-0, c > 0) made such hinges bend by
    // about pi, and every row of the sheet was kicked up or down in the first step
    const n = 8, lines: string[] = [];
    for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) lines.push(`v ${i / n} 0 ${j / n}`);
    const id = (i: number, j: number) => j * (n + 1) + i + 1;
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) lines.push(`f ${id(i, j)} ${id(i + 1, j)} ${id(i + 1, j + 1)} ${id(i, j + 1)}`);
    await h.page.setInputFiles('#file', { name: 'down.obj', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) });
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe('down');
    await h.page.evaluate(() => torsion.step(5));
    const y = (await positions()).filter((_, k) => k % 3 === 1);
    expect(Math.max(...y) - Math.min(...y), 'the sheet stays flat while it falls').toBe(0);
  });

  it('a Shift-drag drags a finger through a 3D jelly and pushes the particles near its path; a plain drag orbits', async () => {
    await openFile('poke-jelly-3d', jelly3d());
    const x0 = await positions();
    const from = await h.page.evaluate(() => torsion.toClient([0.3, 0.5, 0.5]));
    const to = await h.page.evaluate(() => torsion.toClient([0.9, 0.5, 0.5]));
    const drag = async (shift: boolean) => {
      await h.page.mouse.move(from[0], from[1]);
      if (shift) await h.page.keyboard.down('Shift');
      await h.page.mouse.down();
      if (shift) await h.page.keyboard.up('Shift');
      const g = await h.page.evaluate(() => torsion.grabState());
      await h.page.mouse.move(to[0], to[1], { steps: 4 });
      await h.page.evaluate((n) => torsion.step(n), FINGER_STEPS);
      return { start: g, end: await h.page.evaluate(() => torsion.grabState()), x: await positions() };
    };
    const plain = await drag(false);
    await h.page.mouse.up();
    expect(plain.start.body, 'a plain drag grabs nothing in 3D').toBe('');
    await h.page.click('#reset');
    // the orbit moved the camera: aim the drag again at the same domain points
    Object.assign(from, await h.page.evaluate(() => torsion.toClient([0.3, 0.5, 0.5])));
    Object.assign(to, await h.page.evaluate(() => torsion.toClient([0.9, 0.5, 0.5])));
    const shifted = await drag(true);
    expect(shifted.start).toMatchObject({ body: 'finger', grabs: 1 });
    // the finger starts under the pointer (adding it to the scene must not move the camera)
    const under = await h.page.evaluate((q) => torsion.toClient(q), shifted.start.at);
    expect(Math.hypot(under[0] - from[0], under[1] - from[1]), 'px from the pointer to the finger at the grab').toBeLessThan(3);
    const [p, q] = [shifted.start.at, shifted.end.at];
    // at a quarter of the jelly's wave speed, 0.045 cell per step, from x = 4.8 cells (the finger is held 4.6 cells from the walls)
    expect(Math.hypot(...q.map((v, k) => v - p[k])) / DX, 'cells the finger travelled').toBeGreaterThan(3.5);
    // the particles that started within 1.5 cells of the finger's path, and their mean push along it
    const dir = q.map((v, k) => v - p[k]), len = Math.hypot(...dir);
    const u = dir.map((d) => d / len);
    const nearPath: number[] = [];
    for (let i = 0; i < x0.length / 3; i++) {
      const r = [0, 1, 2].map((k) => x0[3 * i + k] - p[k]);
      const t = Math.max(0, Math.min(len, r[0] * u[0] + r[1] * u[1] + r[2] * u[2]));
      if (Math.hypot(...r.map((v, k) => v - t * u[k])) < 1.5 * DX) nearPath.push(i);
    }
    const pushed = (x: number[]) => nearPath.reduce((s, i) => s + [0, 1, 2].reduce((a, k) => a + (x[3 * i + k] - x0[3 * i + k]) * u[k], 0), 0) / nearPath.length / DX;
    console.log(`3D finger: ${nearPath.length} particles near the path from ${p.map((v) => v.toFixed(3))} to ${q.map((v) => v.toFixed(3))} pushed ${pushed(shifted.x).toFixed(2)} cells along it (plain drag ${pushed(plain.x).toFixed(3)})`);
    expect(nearPath.length).toBeGreaterThan(20);
    expect(Math.abs(pushed(plain.x)), 'cells moved without the finger').toBeLessThan(0.05);
    expect(pushed(shifted.x), 'cells pushed by the finger').toBeGreaterThan(0.15);
    saveArtifact('interact-finger-3d.png', await h.page.locator('#view').screenshot());
    await h.page.mouse.up();
    await expect.poll(() => h.page.evaluate(() => torsion.grabState())).toMatchObject({ body: '' });
    expect(await h.page.evaluate(() => torsion.stats().blowUp)).toBeNull();
  });
});
