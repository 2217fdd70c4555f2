// What drawing costs the page's simulation, measured in Debian's Chromium (SwiftShader WebGPU):
// the 3D fluid bench scene (about 70k particles) played with drawing on and off in alternating
// rounds, then frames and steps per second of one scene of each kind. Run:
//   npx vite-node scripts/page-speed.ts [--seconds S] [--rounds R] [--spf N]
// Prints a table and, last, one JSON line. A measurement, not a test.
import './v8-flags';
import { parseArgs } from 'node:util';
import { benchCases } from '../scenes/bench-scenes';
import { exportSceneJson } from '../src/mpm/validate';
import type { TorsionPageApi } from '../src/viewer/main';
import { startBrowser } from '../tests/browser/harness';

declare const torsion: TorsionPageApi;

const { values: a } = parseArgs({ options: { seconds: { type: 'string' }, rounds: { type: 'string' }, spf: { type: 'string' } } });
const seconds = Number(a.seconds ?? 8);
const rounds = Number(a.rounds ?? 3);
const spf = Number(a.spf ?? 2);

const h = await startBrowser();
const rows: Record<string, unknown>[] = [];
try {
  /** Plays for `seconds` and returns the page's steps/s and frames/s over the last half of it. */
  async function play(drawing: boolean): Promise<{ steps: number; fps: number }> {
    await h.page.evaluate((d) => { torsion.setDrawing(d); }, drawing);
    await h.page.click('#play');
    await h.page.waitForTimeout((seconds / 2) * 1000);
    const s0 = await h.page.evaluate(() => ({ step: torsion.stats().step, t: performance.now() }));
    await h.page.waitForTimeout((seconds / 2) * 1000);
    const s1 = await h.page.evaluate(() => ({ step: torsion.stats().step, t: performance.now(), fps: torsion.stats().framesPerSecond }));
    await h.page.click('#play');
    await h.page.evaluate(() => torsion.step(0)); // wait for the frames in flight
    return { steps: ((s1.step - s0.step) * 1000) / (s1.t - s0.t), fps: s1.fps };
  }

  // The 3D fluid bench scene, opened as a scene file (it is not a registered scene).
  const fluid = benchCases().find((c) => c.label.startsWith('3D fluid'))!.scene;
  await h.page.goto(`${h.url}index.html?paused&spf=${spf}`);
  await h.page.evaluate(() => torsion.ready);
  await h.page.setInputFiles('#file', { name: 'fluid-70k.json', mimeType: 'application/json', buffer: Buffer.from(exportSceneJson(fluid)) });
  await h.page.waitForFunction((n) => torsion.stats().particles === n, fluid.particles.group.length, { timeout: 120_000 });
  const on: number[] = [], off: number[] = [];
  for (let r = 0; r < rounds; r++) {
    off.push((await play(false)).steps);
    on.push((await play(true)).steps);
    console.log(`round ${r + 1}: drawing off ${off.at(-1)!.toFixed(2)} steps/s, on ${on.at(-1)!.toFixed(2)} steps/s`);
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
  console.log(`3D fluid, ${fluid.particles.group.length} particles, ${spf} steps per frame: drawing on/off = ${(med(on) / med(off)).toFixed(3)} (medians ${med(on).toFixed(2)} / ${med(off).toFixed(2)} steps/s)`);
  rows.push({ scene: 'bench-3d-fluid-70k', particles: fluid.particles.group.length, on, off, ratio: med(on) / med(off) });

  for (const [kind, name, n] of [['2D MPM', 'dam-break-2d', 10], ['3D MPM', 'dam-break-3d', 2], ['springs', 'spring-robot-2d', 20], ['cloth', 'cloth-drape-3d', 10]] as const) {
    await h.page.goto(`${h.url}index.html?paused&scene=${name}&spf=${n}`);
    await h.page.evaluate(() => torsion.ready);
    const r = await play(true);
    console.log(`${kind.padEnd(8)} ${name.padEnd(16)} ${n} steps/frame: ${r.fps.toFixed(1)} fps, ${r.steps.toFixed(0)} steps/s`);
    rows.push({ kind, scene: name, stepsPerFrame: n, fps: r.fps, stepsPerSecond: r.steps });
  }
} finally {
  await h.close();
}
console.log(JSON.stringify(rows));
