// Batch copies are independent simulations that share one dispatch: B = 3 copies with different
// initial velocities, stiffness, actuation and collider tracks must each give, bit for bit, the
// forward states and the gradients (initial state and control) of their own B = 1 run. Bitwise is the
// right bar: every copy has its own grid block and its own adjoint fixed-point scale (adj_max[b]),
// and integer scatter sums do not depend on the order of the threads.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { groupRecordsFit, particleStride, TRACK_STRIDE, type PackedMpm } from '../../src/mpm/layout';
import { SIM_PARAMS } from '../../src/mpm/records';
import { sliceCtrl } from '../../src/mpm/reference';
import { rng } from '../../src/core/finite-diff';
import { Rollout } from '../../src/core/rollout';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const B = 3;
const T = 30;

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Copy b's stretch of a control-shaped array (ctrl or gCtrl) in the batch-1 layout, as f32. */
function ctrlOf(packed: PackedMpm, a: Float32Array, b: number): Float32Array {
  return Float32Array.from(sliceCtrl({ ...packed, ctrl: a }, b));
}

for (const dim of [2, 3] as const) {
  test(`${dim}D: each of ${B} batch copies equals its own B = 1 run, forward and backward, bit for bit`, async () => {
    const scene = tinyScene({ dim, material: dim === 2 ? 'elastic' : 'elastoplastic', actuated: true, collider: true, hi: 0.55, seed: 40 + dim });
    const simB = await MpmSim.create(gpu, scene, { batch: B });
    const sim1 = await MpmSim.create(gpu, scene, { cache: simB.cache });
    const packed = simB.packed;
    const { n, nGroups: G, nAct, horizon: H, nColliders: C, ctrlLayout: lay } = packed;
    const ps = particleStride(dim), len = n * ps;
    const rand = rng(7 + dim);

    // Per copy: a different initial velocity, E, actuation track and collider track.
    const state0 = packed.state0.slice();
    const ctrl = packed.ctrl.slice();
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < n; p++) for (let i = 0; i < dim; i++) state0[b * len + p * ps + dim + i] += 0.4 * (b - 1) * (i === 0 ? 1 : -0.5);
      for (let g = 0; g < G; g++) ctrl[lay.groupsOff + (b * G + g) * 8] *= 1 + 0.5 * b;
      for (let t = 0; t < H * nAct; t++) ctrl[lay.actOff + b * H * nAct + t] *= 1 - 0.6 * b;
      for (let t = 0; t < H * C; t++) ctrl[lay.colOff + (b * H * C + t) * TRACK_STRIDE] += 0.01 * b; // shift x of the paddle
    }
    simB.writeParams(ctrl);
    // A random linear functional of the final state per copy: every component of x, v, C, F weighted.
    // Magnitudes 1, 1e3, 1e-3: a fixed-point scale shared across copies would be set by copy 1 and
    // leave copy 2's scatter at ~1e-6 of its resolution, so it would not match its B = 1 run.
    const gFinal = Float32Array.from({ length: B * len }, (_, i) => (rand() - 0.5) * [1, 1e3, 1e-3][Math.floor(i / len)]);

    const rB = new Rollout(simB, T, 'auto');
    await rB.forward(state0);
    const finalB = await readF32(gpu.device, rB.final.buf);
    const gFinalBuf = simB.createState('g_final', gFinal);
    const g0B = await readF32(gpu.device, await rB.backward(gFinalBuf));
    const gCtrlB = await readF32(gpu.device, simB.adjoint.gCtrl);

    const r1 = new Rollout(sim1, T, 'auto');
    const states = new Set<string>();
    for (let b = 0; b < B; b++) {
      sim1.writeParams(ctrlOf(packed, ctrl, b));
      await r1.forward(state0.slice(b * len, (b + 1) * len));
      const final1 = await readF32(gpu.device, r1.final.buf);
      const g1Buf = sim1.createState('g_final', gFinal.slice(b * len, (b + 1) * len));
      const g01 = await readF32(gpu.device, await r1.backward(g1Buf));
      const gCtrl1 = await readF32(gpu.device, sim1.adjoint.gCtrl);
      g1Buf.destroy();
      expect(bytes(finalB.subarray(b * len, (b + 1) * len)).equals(bytes(final1)), `copy ${b} final state`).toBe(true);
      expect(bytes(g0B.subarray(b * len, (b + 1) * len)).equals(bytes(g01)), `copy ${b} dL/dstate0`).toBe(true);
      expect(bytes(ctrlOf(packed, gCtrlB, b)).equals(bytes(gCtrl1)), `copy ${b} dL/dctrl`).toBe(true);
      expect(gCtrl1.some((x) => x !== 0) && g01.some((x) => x !== 0)).toBe(true);
      states.add(bytes(final1).toString('base64'));
    }
    // The copies really differ (a batch that ran one copy three times would pass the checks above).
    expect(states.size).toBe(B);
    rB.destroy();
    r1.destroy();
    gFinalBuf.destroy();
    sim1.destroy();
    simB.destroy();
  });
}

test('a batch too large for the params uniform\'s copy of the group records reads them from storage, each copy still its own B = 1 run', async () => {
  const scene = tinyScene({ dim: 2, material: 'elastic', actuated: true, lo: 0.4, hi: 0.44, seed: 9 });
  const G = scene.groups.length;
  // the smallest batch whose group records do not fit (load_group in model.wgsl)
  let big = 1;
  while (groupRecordsFit(G, big)) big++;
  const simB = await MpmSim.create(gpu, scene, { batch: big });
  const sim1 = await MpmSim.create(gpu, scene, { cache: simB.cache });
  expect(new Uint32Array(simB.packed.params)[SIM_PARAMS.word.group_recs], 'group_recs').toBe(0);
  expect(new Uint32Array(sim1.packed.params)[SIM_PARAMS.word.group_recs], 'group_recs').toBe(1);
  const { n, ctrlLayout: lay } = simB.packed;
  const len = n * particleStride(2);
  const ctrl = simB.packed.ctrl.slice();
  const picks = [0, big >> 1, big - 1];
  for (let b = 0; b < big; b++) for (let g = 0; g < G; g++) ctrl[lay.groupsOff + (b * G + g) * 8] *= 1 + b / big;
  simB.writeParams(ctrl);
  const T = 6;
  const rB = new Rollout(simB, T, 'full');
  await rB.forward();
  const finalB = await readF32(gpu.device, rB.final.buf);
  const r1 = new Rollout(sim1, T, 'full');
  const states = new Set<string>();
  for (const b of picks) {
    sim1.writeParams(ctrlOf(simB.packed, ctrl, b));
    await r1.forward();
    const final1 = await readF32(gpu.device, r1.final.buf);
    expect(bytes(finalB.subarray(b * len, (b + 1) * len)).equals(bytes(final1)), `copy ${b} of ${big} final state`).toBe(true);
    states.add(bytes(final1).toString('base64'));
  }
  expect(states.size).toBe(picks.length);
  rB.destroy();
  r1.destroy();
  sim1.destroy();
  simB.destroy();
});
