// What the springs' gradient comparisons share: a backward from fixed final-state weights, and the
// first entry where two gradients differ.
import { expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import type { Rollout } from '../../src/core/rollout';
import type { SpringSim } from '../../src/springs/simulator';

/** dL/dstate0 and dL/dctrl of the rollout's backward from final-state weights w; then destroys the rollout and the simulator. */
export async function finalWeightGradients(gpu: GpuContext, sim: SpringSim, r: Rollout<SpringSim>, w: Float32Array): Promise<{ g0: Float32Array; gc: Float32Array }> {
  const gFinal = sim.createState('w', w);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gc = await readF32(gpu.device, sim.paramGrad);
  gFinal.destroy();
  r.destroy();
  sim.destroy();
  return { g0, gc };
}

/** Index of the first entry where a and b differ as numbers (+0 equals -0), or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}
