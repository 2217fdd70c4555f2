import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { MpmSim } from '../../src/mpm/simulator';
import type { MpmScene } from '../../src/mpm/scene';
import { readF32 } from '../../src/gpu/buffers';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

function tinyScene(dim: 2 | 3, material: 'fluid' | 'elastic' | 'elastoplastic'): MpmScene {
  const res = dim === 2 ? [32, 32] : [16, 16, 16];
  const dx = 1 / res[0];
  const x: number[] = [], v: number[] = [], group: number[] = [], vol: number[] = [];
  const lo = 0.3, hi = 0.5, h = dx / 2;
  for (let i = lo; i < hi; i += h) for (let j = lo; j < hi; j += h) {
    if (dim === 2) { x.push(i, j); v.push(0.1, 0); group.push(0); vol.push(h * h); }
    else for (let k = lo; k < hi; k += h) { x.push(i, j, k); v.push(0.1, 0, 0); group.push(0); vol.push(h * h * h); }
  }
  return {
    name: 'tiny', dim, grid: { res, dx }, dt: 1e-3, steps: 10, gravity: dim === 2 ? [0, -9.8] : [0, -9.8, 0],
    boundary: { walls: 'separate', groundFriction: 0.5 },
    groups: [{ name: 'g', material, E: 100, nu: 0.3, density: 1, plastic: { thetaC: 0.025, thetaS: 0.0045 } }],
    particles: { x, v, group, vol }, colliders: [],
  };
}

for (const dim of [2, 3] as const) {
  test(`${dim}D kernels compile and step`, async () => {
    const sim = await MpmSim.create(gpu, tinyScene(dim, 'elastic'));
    const a = sim.createState('a', sim.packed.state0);
    const b = sim.createState('b');
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    sim.encodeStep(pass, a, b, 0);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    const out = await readF32(gpu.device, b);
    expect(Number.isFinite(out[0])).toBe(true);
    console.log(Array.from(out.slice(0, 12)));
    await gpu.checkErrors();
    sim.destroy();
  });
}
