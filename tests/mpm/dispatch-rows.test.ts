// Particle dispatches fold a batch copy's workgroups into rows where one dispatch dimension cannot
// hold them (particleRows, params.wgsl), so the device's memory, not its dispatch limit, bounds a
// scene. A device's real limit (65535 workgroups) takes millions of particles to reach, so these
// tests lower it (MpmSim.create's limits): a small scene then spans several rows, through the same
// index path, and must give the one-row layout's forward states and gradients bit for bit.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim, particleRows } from '../../src/mpm/simulator';
import { particleStride } from '../../src/mpm/layout';
import { scatterRun } from '../../src/shaders/compose';
import { rng } from '../../src/core/finite-diff';
import { Rollout } from '../../src/core/rollout';
import { tinyScene } from '../helpers/tiny-scenes';
import type { MpmScene } from '../../src/mpm/scene';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('particleRows: one row where it fits, else rows of even length within the limit', () => {
  expect(particleRows(20, 3, 65535)).toEqual([20, 1, 3]);
  expect(particleRows(65535, 1, 65535)).toEqual([65535, 1, 1]);
  // one past a row: two rows of 32768, one spare workgroup, not a second row of one
  expect(particleRows(65536, 1, 65535)).toEqual([32768, 2, 1]);
  for (const [groups, max] of [[20, 4], [5, 4], [1, 1], [17, 1], [1_000_003, 65535], [65535 ** 2, 65535]]) {
    const [x, y] = particleRows(groups, 1, max);
    expect(x, `${groups} on ${max}`).toBeLessThanOrEqual(max);
    expect(x * y).toBeGreaterThanOrEqual(groups);
    expect(x * y - groups, 'spare workgroups, fewer than the rows').toBeLessThan(y);
  }
});

/** Final state, dL/dstate0 and dL/dctrl of a T-step rollout of `scene` (B copies, copy b's velocities shifted). */
async function run(scene: MpmScene, B: number, T: number, limits?: Record<string, number>, cacheFrom?: MpmSim) {
  const sim = await MpmSim.create(gpu, scene, { batch: B, limits, cache: cacheFrom?.cache });
  const { n, dim } = sim.packed;
  const len = n * particleStride(dim);
  const state0 = sim.packed.state0.slice();
  for (let b = 0; b < B; b++) for (let p = 0; p < n; p++) state0[b * len + p * particleStride(dim) + dim] += 0.3 * b;
  const rand = rng(5);
  const gFinal = sim.createState('g_final', Float32Array.from({ length: B * len }, () => rand() - 0.5));
  const r = new Rollout(sim, T, 'auto');
  await r.forward(state0);
  const final = await readF32(gpu.device, r.final.buf);
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gCtrl = await readF32(gpu.device, sim.adjoint.gCtrl);
  const status = await sim.readStatus();
  r.destroy();
  gFinal.destroy();
  return { sim, final, g0, gCtrl, status };
}

const cases: { dim: 2 | 3; scene: () => MpmScene; B: number; limit: number }[] = [
  // 2D, 32^2 grid: node dispatches of 4 x 4 x B workgroups fit a limit of 5 (B <= 5); 1369
  // particles are 22 particle workgroups (5 rows of 5) and 343 runs of 4, 6 workgroups (2 rows of 3)
  { dim: 2, B: 2, limit: 5, scene: () => tinyScene({ dim: 2, material: 'elastoplastic', actuated: true, collider: true, lo: 0.2, hi: 0.78, seed: 3 }) },
  // 3D, 16^3 grid: node dispatches of 2 x 2 x 16; 9261 particles are 145 particle workgroups
  // (10 rows of 15) and 1158 runs of 8, 19 workgroups (2 rows of 10)
  { dim: 3, B: 1, limit: 16, scene: () => tinyScene({ dim: 3, material: 'elastic', lo: 0.17, hi: 0.83, boundCells: 2, seed: 4 }) },
];

for (const { dim, scene, B, limit } of cases) {
  test(`${dim}D: particle dispatches in several rows (limit ${limit} workgroups per dimension) give the one-row layout's states and gradients bit for bit`, async () => {
    const s = scene();
    const n = s.particles.group.length;
    const WG = 64;
    // the premise: both particle and scatter dispatches need more than one row at this limit
    expect(particleRows(Math.ceil(n / WG), B, limit)[1]).toBeGreaterThan(1);
    expect(particleRows(Math.ceil(Math.ceil(n / scatterRun(dim)) / WG), B, limit)[1]).toBeGreaterThan(1);
    expect(particleRows(Math.ceil(n / WG), B, 65535)[1]).toBe(1);
    const T = 6;
    const one = await run(s, B, T);
    const rows = await run(s, B, T, { maxComputeWorkgroupsPerDimension: limit }, one.sim);
    expect(bytes(rows.final).equals(bytes(one.final)), 'final state').toBe(true);
    expect(bytes(rows.g0).equals(bytes(one.g0)), 'dL/dstate0').toBe(true);
    expect(bytes(rows.gCtrl).equals(bytes(one.gCtrl)), 'dL/dctrl').toBe(true);
    expect(rows.status).toEqual(one.status);
    // every particle of every copy moved and got a gradient (a row left undone would leave zeros)
    const len = n * particleStride(dim);
    const x0 = one.sim.packed.state0;
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < n; p++) {
        const o = b * len + p * particleStride(dim);
        expect(rows.final[o] !== x0[o] || rows.final[o + 1] !== x0[o + 1], `copy ${b} particle ${p} moved`).toBe(true);
        expect(rows.g0.subarray(o, o + particleStride(dim)).some((g) => g !== 0), `copy ${b} particle ${p} gradient`).toBe(true);
      }
    }
    expect(one.gCtrl.some((g) => g !== 0)).toBe(true);
    await gpu.checkErrors();
    rows.sim.destroy();
    one.sim.destroy();
  });
}
