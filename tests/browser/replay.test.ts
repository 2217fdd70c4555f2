// A replay written by the CLI's run code opens in the page (from a run folder's URL, as
// `torsion view` serves it, and from files chosen in the page) and shows, frame by frame, the
// positions the CLI wrote, read back from the page's GPU state.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScene } from '../../scenes/index';
import { runScene } from '../../src/cli/run';
import type { TorsionPageApi } from '../../src/viewer/main';
import { saveArtifact, startBrowser, type BrowserHarness } from './harness';

declare const torsion: TorsionPageApi;

let h: BrowserHarness;
// Under the repository (test-artifacts/ is git-ignored), so the page's server serves the run folder.
const name = `replay-run-${process.pid}`;
const dir = join(__dirname, '..', '..', 'test-artifacts', name);
const rel = `test-artifacts/${name}/`;
let frames: Float32Array[] = [];

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await runScene(buildScene('jelly-drop-2d'), { steps: 60, every: 20, out: dir });
  const meta = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'));
  const all = new Float32Array(new Uint8Array(readFileSync(join(dir, 'replay.bin'))).buffer);
  const per = meta.particles * meta.dim;
  frames = Array.from({ length: meta.frames }, (_, f) => all.slice(f * per, (f + 1) * per));
  h = await startBrowser();
}, 120_000);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function expectFrames(): Promise<void> {
  // Steps 0, 20, 40 and 60.
  expect(frames.length).toBe(4);
  for (const k of [3, 0, 1]) {
    const shown = await h.page.evaluate((f) => torsion.showFrame(f), k);
    expect(shown).toEqual({ frame: k, frames: 4 });
    const x = new Float32Array(await h.page.evaluate(async () => Array.from(await torsion.readPositions())));
    expect(x.length).toBe(frames[k].length);
    expect(Buffer.from(x.buffer).equals(Buffer.from(frames[k].buffer)), `frame ${k}: the page shows the positions the CLI wrote`).toBe(true);
  }
  // The jelly falls between the frames, so the frames differ and the check above can fail.
  expect(Buffer.from(frames[0].buffer).equals(Buffer.from(frames[3].buffer))).toBe(false);
}

describe('replays', () => {
  it('opens a run folder by URL (?replay=) and shows the positions the CLI wrote', async () => {
    await h.page.goto(`${h.url}index.html?paused&replay=${rel}`);
    await h.page.waitForFunction(() => 'torsion' in window);
    expect(await h.page.evaluate(() => torsion.ready.then(() => null, (e: Error) => e.message)), h.logs.join('\n')).toBeNull();
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    expect(await h.page.locator('#error').isHidden()).toBe(true);
    await expectFrames();
    await expect.poll(() => h.page.locator('#status').textContent()).toMatch(/replay frame 2\/4/);
    expect(await h.page.locator('#frame-label').isVisible()).toBe(true);
    // The panel shows the replay's scene with its parameters fixed; an edit is refused and the replay stays.
    expect(await h.page.evaluate(() => (document.querySelector('[data-param="gravity"] input') as HTMLInputElement).disabled)).toBe(true);
    expect(await h.page.evaluate(() => torsion.setParam('gravity', -5))).toMatch(/a replay is shown/);
    expect(await h.page.evaluate(() => torsion.showFrame(1))).toEqual({ frame: 1, frames: 4 });
    saveArtifact('replay-jelly-drop-2d.png', await h.page.locator('#view').screenshot());
    // Play loops through the frames without stepping a simulation.
    await h.page.click('#play');
    await h.page.waitForFunction(() => torsion.stats().step === 40, null, { timeout: 20_000 });
    await h.page.click('#play');
  });

  it('a drag on a replay moves nothing and says why: the replay stays, with its parameters fixed', async () => {
    await h.page.goto(`${h.url}index.html?paused&replay=${rel}`);
    await h.page.evaluate(() => torsion.ready);
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    await h.page.evaluate(() => torsion.showFrame(2));
    const [x, y] = await h.page.evaluate(() => torsion.toClient([0.5, 0.3]));
    await h.page.mouse.move(x, y);
    await h.page.mouse.down();
    await h.page.mouse.move(x + 40, y);
    await h.page.mouse.up();
    expect((await h.page.evaluate(() => torsion.grabState())).grabs).toBe(0);
    // before: the finger's scene replaced the replay with a live run, under a panel still saying 'replay: fixed'
    expect(await h.page.evaluate(() => torsion.showFrame(1))).toEqual({ frame: 1, frames: 4 });
    expect(await h.page.evaluate(() => torsion.errorText())).toMatch(/replay/);
  });

  it('opens replay.json + replay.bin + scene.json chosen together, and says what is missing', async () => {
    await h.page.goto(`${h.url}index.html?paused`);
    await h.page.evaluate(() => torsion.ready);
    await h.page.setInputFiles('#file', [join(dir, 'replay.json')]);
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/choose replay\.json and replay\.bin together/);
    // a run's other files are named for what they are, not read as a scene missing its grid
    await h.page.setInputFiles('#file', [join(dir, 'state.json')]);
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/state\.json is a run's final state \(its header\), not a scene: .*replay\.json and replay\.bin.*scene\.json/);
    await h.page.setInputFiles('#file', ['replay.json', 'replay.bin', 'scene.json'].map((f) => join(dir, f)));
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    await expectFrames();
    expect(await h.page.locator('#error').isHidden()).toBe(true);
    // A replay.bin of the wrong size is refused with both sizes named.
    await h.page.setInputFiles('#file', [{ name: 'replay.json', mimeType: 'application/json', buffer: readFileSync(join(dir, 'replay.json')) }, { name: 'replay.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(12) }]);
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/replay\.bin holds 12 bytes; replay\.json says 4 frames/);
  });

  it('opens a replay from every file of a run folder chosen together (an optimize or mpc folder\'s best.json, mpc.jsonl, state.bin beside it)', async () => {
    await h.page.goto(`${h.url}index.html?paused`);
    await h.page.evaluate(() => torsion.ready);
    const json = (f: string, text: string) => ({ name: f, mimeType: 'application/json', buffer: Buffer.from(text) });
    const file = (f: string) => ({ name: f, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, f)) });
    await h.page.setInputFiles('#file', [
      json('best.json', '{"scene": "jelly-drop-2d", "iteration": 1, "loss": 0, "params": {}}'), json('mpc.jsonl', '{"step": 50}\n{"step": 100}\n'),
      file('state.bin'), file('replay.bin'), file('replay.json'), json('run.json', '{}'), file('scene.json'), file('state.json'), json('summary.json', '{}'),
    ]);
    await expect.poll(() => h.page.evaluate(() => torsion.stats().scene)).toBe('jelly-drop-2d');
    expect(await h.page.locator('#error').textContent()).toBe('');
    await expectFrames();
  });

  it('a replay that cannot be opened is named in the page, and the simulation running goes on', async () => {
    await h.page.goto(`${h.url}index.html?paused&scene=spring-robot-2d&replay=test-artifacts/no-such-run/`);
    await h.page.evaluate(() => torsion.ready);
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/The replay at .*no-such-run\/ could not be opened: replay\.json: HTTP 404/);
    await h.page.evaluate(() => torsion.step(5));
    // The replay's files with another scene's scene.json: refused, and spring-robot-2d goes on from step 5.
    const other = JSON.stringify({ ...buildScene('spring-robot-2d'), name: 'robot-copy' });
    await h.page.setInputFiles('#file', [
      ...['replay.json', 'replay.bin'].map((f) => ({ name: f, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, f)) })),
      { name: 'scene.json', mimeType: 'application/json', buffer: Buffer.from(other) },
    ]);
    await expect.poll(() => h.page.locator('#error').textContent(), { timeout: 60_000 }).toMatch(/particles per copy/);
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'spring-robot-2d', step: 5 });
    await h.page.evaluate(() => torsion.step(1));
    expect(await h.page.evaluate(() => torsion.stats())).toMatchObject({ scene: 'spring-robot-2d', step: 6, blowUp: null });
  });

  it('opens a scene file by URL (?file=, as `torsion view <file>` serves one): an OBJ mesh draped, a missing one named', async () => {
    // a scene's JSON takes the same path once fetched (openFiles), as the chosen-file tests show
    writeFileSync(join(dir, 'tri.obj'), 'v 0 0 0\nv 1 0 0\nv 0 0 1\nf 1 2 3\n');
    for (const [file, scene] of [['tri.obj', 'tri']]) {
      await h.page.goto(`${h.url}index.html?paused&file=${rel}${file}`);
      await h.page.waitForFunction(() => 'torsion' in window);
      await h.page.evaluate(() => torsion.ready);
      await expect.poll(() => h.page.evaluate(() => torsion.stats().scene), { timeout: 60_000 }).toBe(scene);
      expect(await h.page.locator('#error').textContent()).toBe('');
      // a reload opens the file again
      expect(new URL(h.page.url()).searchParams.get('file')).toBe(`${rel}${file}`);
    }
    expect((await h.page.evaluate(() => torsion.readPositions())).length).toBe(9);
    await h.page.goto(`${h.url}index.html?paused&scene=spring-robot-2d&file=${rel}none.json`);
    await h.page.evaluate(() => torsion.ready);
    await expect.poll(() => h.page.locator('#error').textContent()).toMatch(/The scene file at .*none\.json could not be fetched: HTTP 404/);
    expect(await h.page.evaluate(() => torsion.stats().scene)).toBe('spring-robot-2d');
  });
});
