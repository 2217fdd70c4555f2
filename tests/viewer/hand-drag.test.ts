// The pointer's hand (src/viewer/user-bodies.ts) holding a corner of a pinned cloth as the page drives
// it, past the scene's horizon: there every step of a frame reads the track's last row, so the hand
// covers the frame's whole way in one step. Capped there as in the page (handMaxJump), a drag at 20
// steps per frame leaves the cloth finite; uncapped, the held corner jumps about an edge a step and
// the cloth blows up.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { SimRunner, type BlowUp } from '../../src/viewer/sim-runner';
import { TrackDriver, handIndex, handMaxJump, handMaxStep, withHand, withoutHand } from '../../src/viewer/user-bodies';
import { buildScene } from '../../scenes/index';
import { clothCorners, clothGrid } from '../../scenes/spring-builders';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

const SPF = 20, FRAMES = 40, N = 10;

/** A 10 x 10 cloth pinned at two corners (as tests/browser/interact.test.ts's), 200 steps of horizon. */
function cloth(): SpringScene {
  const mesh = clothGrid({ nx: N, ny: N, size: [0.6, 0.6], origin: [0.3, 0.7, 0.3], plane: 'xz', density: 0.2 });
  return {
    kind: 'shell', name: 'hand-cloth', dim: 3, dt: 1e-3, steps: 200, gravity: [0, -9.8, 0], damping: 1, extent: [1.2, 1, 1.2],
    materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 20, lambda: 10, bending: 2e-5 }],
    vertices: mesh.vertices, triangles: mesh.triangles, pinned: clothCorners(N, N).slice(0, 2),
  };
}

async function drag(maxJump: (s: SpringScene, v: number) => number): Promise<{ blowUp: BlowUp | null; left: number }> {
  const corner = clothCorners(N, N)[3];
  const s = withHand(cloth(), corner);
  const runner = await SimRunner.create(gpu, s, cache);
  try {
    const at = Array.from(s.vertices.x.slice(3 * corner, 3 * corner + 3));
    const d = new TrackDriver(runner.sim, `grippers[${s.grippers!.length - 1}]`, at, s.dt, handMaxStep(s), maxJump(s, corner));
    d.place(at);
    // past the horizon, holding the corner still
    const enc = gpu.device.createCommandEncoder();
    runner.encodeSteps(enc, s.steps + 10);
    gpu.device.queue.submit([enc.finish()]);
    expect(await runner.checkBlowUp()).toBeNull();
    // then up and away, the pointer far ahead of the hand
    d.target = [at[0] + 0.3, at[1] + 0.3, at[2]];
    for (let f = 0; f < FRAMES; f++) {
      d.write(runner.step, SPF);
      const e = gpu.device.createCommandEncoder();
      runner.encodeSteps(e, SPF);
      gpu.device.queue.submit([e.finish()]);
    }
    const blowUp = await runner.checkBlowUp();
    console.log(`hand past the horizon, ${SPF} steps per frame, jump cap ${maxJump(s, corner)}: ${blowUp?.message ?? 'no blow-up'}`);
    return { blowUp, left: Math.hypot(...d.target.map((t, a) => t - d.current[a])) };
  } finally {
    runner.destroy();
  }
}

test('a hand dragged past the horizon at its jump cap leaves the cloth finite', async () => {
  const r = await drag(handMaxJump);
  expect(r.blowUp).toBeNull();
  expect(r.left, 'the hand reaches the pointer').toBeLessThan(1e-6);
});

test('uncapped, the same drag blows the cloth up (the cap is what holds it)', async () => {
  expect((await drag(() => Infinity)).blowUp).not.toBeNull();
});

test("the hand comes and goes without touching a scene's own gripper of the same name (cloth-lift-3d's 'hand')", () => {
  const s = buildScene('cloth-lift-3d') as SpringScene;
  expect(s.grippers!.map((g) => g.name)).toEqual(['hand']);
  const held = withHand(s, 5);
  expect(handIndex(held), 'the one the pointer holds is the one added').toBe(1);
  expect(withoutHand(held).grippers).toEqual(s.grippers);
  expect(handIndex(s), 'a scene the pointer does not hold').toBe(-1);
});
