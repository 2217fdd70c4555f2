// The page's blow-up message (SimRunner.checkBlowUp) names the cause each simulator checks for: a
// spring scene's is a vertex gone non-finite or far away, not MPM's speed limit in cells per step.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { SimRunner, type BlowUp } from '../../src/viewer/sim-runner';
import { buildScene } from '../../scenes/index';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

/** `scene` run `steps` steps with block `name` scaled by `k` (writeParams does not re-check stability): its blow-up. */
async function blowUpOf(scene: string, name: string, k: number, steps: number): Promise<BlowUp | null> {
  const runner = await SimRunner.create(gpu, buildScene(scene), cache);
  try {
    const v = runner.sim.params.values(0);
    for (const i of runner.sim.params.blocks.find((b) => b.name === name)!.indices) v[i] *= k;
    runner.sim.writeParams(Float32Array.from(v));
    const enc = gpu.device.createCommandEncoder();
    runner.encodeSteps(enc, steps);
    gpu.device.queue.submit([enc.finish()]);
    return await runner.checkBlowUp();
  } finally {
    runner.destroy();
  }
}

test("a spring scene's blow-up is told as a spring scene's, not with MPM's dx/dt", async () => {
  const b = await blowUpOf('spring-robot-2d', 'materials[0].stiffness', 1e6, 40);
  expect(b, 'a stiffness a million times the scene\'s blows up').not.toBeNull();
  expect(b!.message).toMatch(/^spring-robot-2d: a vertex's position or velocity became non-finite .* at step \d+/);
  expect(b!.message).not.toMatch(/dx\/dt/);
});

test("an MPM scene's blow-up names which of its checks failed", async () => {
  const b = await blowUpOf('jelly-throw-2d', 'groups[0].E', 1e6, 40);
  expect(b).not.toBeNull();
  expect(b!.message).toMatch(/^rollout blew up at step \d+: (a grid node exceeded the fixed-point range|a particle velocity .* exceeded dx\/dt = )/);
  expect(b!.message).not.toMatch(/\.$/); // the page adds its own ". Press Reset"
});
