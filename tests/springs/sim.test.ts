// SpringSim's forward against the float64 reference, and the bits: identical runs, batch copies.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { SpringSim } from '../../src/springs/simulator';
import { compileSpringScene } from '../../src/springs/model';
import { rolloutRef } from '../../src/springs/reference';
import { chain2d, clothPatch, turningCollider } from '../helpers/spring-scenes';
import type { SpringScene } from '../../src/springs/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

async function finalState(scene: SpringScene, steps: number, batch = 1): Promise<Float32Array> {
  const sim = await SpringSim.create(gpu, scene, { batch });
  const r = new Rollout(sim, steps, 'full');
  const st = await r.forward();
  expect(st.badStep).toBeNull();
  const out = await readF32(gpu.device, r.final.buf);
  r.destroy();
  sim.destroy();
  return out;
}

const cases: [string, () => SpringScene, number][] = [
  ['2D chain robot (springs, actuation, soft ground, sphere)', () => chain2d({ steps: 120 }), 120],
  ['3D cloth (membrane, bending, pin, gripper, box, ground, self-contact)', () => clothPatch({ steps: 100, selfContact: true }), 100],
  ['3D plastic strip', () => clothPatch({ steps: 100, plastic: true }), 100],
  ['2D chain robot against a turning, spinning box', () => turningCollider(chain2d({ steps: 120 })), 120],
  ['3D cloth against a turning, spinning box', () => turningCollider(clothPatch({ steps: 100 })), 100],
];

for (const [name, make, steps] of cases) {
  test(`${name}: the WGSL forward matches the float64 reference over ${steps} steps`, async () => {
    const scene = make();
    const gpuState = await finalState(scene, steps);
    const m = compileSpringScene(scene);
    const ref = rolloutRef(m, m.state0, m.ctrl0, steps);
    let maxErr = 0, scale = 0;
    for (let k = 0; k < ref.length; k++) { maxErr = Math.max(maxErr, Math.abs(ref[k] - gpuState[k])); scale = Math.max(scale, Math.abs(ref[k])); }
    console.log(name, 'max abs error', maxErr, 'scale', scale);
    expect(maxErr).toBeLessThan(1e-4 * Math.max(1, scale));
  });
}
