// The pointer's finger (src/viewer/user-bodies.ts) dragged through dam-break-2d's water as the page
// drives it: the same TrackDriver writes the finger's rows before each frame's steps and SimRunner
// steps them, on the GPU. A long, fast drag, the pointer always far ahead of the finger (what a slow
// adapter sees: few steps between pointer moves), through the column, into a corner and out, past
// the scene's horizon, leaves the state finite. The same drag at the finger's old cap, half a cell
// per step (about the water's sound speed), blows up: the drag is a hard one.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { SimRunner, type BlowUp } from '../../src/viewer/sim-runner';
import { TrackDriver, clampToBox, fingerBounds, fingerIndex, fingerMaxStep, withFinger } from '../../src/viewer/user-bodies';
import { buildScene } from '../../scenes/index';
import type { MpmScene } from '../../src/mpm/scene';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

/** The pointer's path (domain units): through the column, into the lower left corner, out and back. */
const PATH = [[0.1, 0.2], [0.4, 0.2], [0, 0], [0.2, 0.15], [0, 0]];
/** The page's default steps per frame, and the frames (1100 steps: well past the scene's 500-step horizon). */
const SPF = 10, FRAMES = 110;

/** Drags the finger along PATH at `maxStep` per step; the blow-up, or null, and the final state. */
async function drag(maxStep: (s: MpmScene) => number): Promise<{ blowUp: BlowUp | null; finite: boolean; steps: number; leg: number }> {
  const s = withFinger(buildScene('dam-break-2d') as MpmScene);
  const runner = await SimRunner.create(gpu, s, cache);
  const box = fingerBounds(s);
  const start = clampToBox(PATH[0], box);
  const d = new TrackDriver(runner.sim, `colliders[${fingerIndex(s)}]`, start, s.dt, maxStep(s), s.grid.dx);
  d.place(start);
  let leg = 1, blowUp: BlowUp | null = null;
  for (let f = 0; f < FRAMES && !blowUp; f++) {
    d.target = clampToBox(PATH[leg], box);
    d.write(runner.step, SPF);
    if (d.current.every((x, a) => Math.abs(x - d.target[a]) < 1e-9) && leg < PATH.length - 1) leg++;
    const enc = gpu.device.createCommandEncoder();
    runner.encodeSteps(enc, SPF);
    gpu.device.queue.submit([enc.finish()]);
    if (f % 10 === 9) blowUp = await runner.checkBlowUp();
  }
  blowUp ??= await runner.checkBlowUp();
  const x = await runner.readPositions();
  const out = { blowUp, finite: x.every(Number.isFinite), steps: runner.step, leg };
  console.log(`finger at ${(maxStep(s) / s.grid.dx).toFixed(3)} cells per step: ${out.steps} steps, leg ${leg}, ${blowUp?.message ?? 'no blow-up'}`);
  runner.destroy();
  return out;
}

test("a long drag at the finger's speed limit leaves dam-break-2d's water finite", async () => {
  const r = await drag(fingerMaxStep);
  expect(r.blowUp).toBeNull();
  expect(r.finite).toBe(true);
  expect(r.steps).toBe(SPF * FRAMES);
  expect(r.leg, 'legs of the path reached').toBe(PATH.length - 1);
});

test('the same drag at half a cell per step blows up (the drag is a hard one)', async () => {
  const r = await drag((s) => 0.5 * s.grid.dx);
  expect(r.blowUp).not.toBeNull();
});
