// A weakly compressible fluid barely compressed (|J - 1| ~ 1e-4, a block in flight): its record
// holds F - I (material.wgsl), so that J - 1 keeps float32 precision of itself rather than of 1.
// Checked where that shows: J - 1 of the GPU rollout against the float64 reference, and dL/dE,
// dL/dnu (through the bulk modulus, times J (J - 1)) against central differences.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { particleStride } from '../../src/mpm/layout';
import { ctrlGroupIndex, refModel, withCtrl, type RefModel } from '../../src/mpm/reference/ref-model';
import { det, ident, axpby } from '../../src/mpm/reference/small-matrix';
import { rollout } from '../../src/mpm/reference/step';
import { rng } from '../../src/core/finite-diff';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const T = 50;

for (const dim of [2, 3] as const) {
  test(`${dim}D fluid in flight: J - 1 against the reference, and dL/dE, dL/dnu`, async () => {
    const sim = await MpmSim.create(gpu, tinyScene({ dim, material: 'fluid', seed: dim }));
    const { n } = sim.packed;
    const ps = particleStride(dim);
    const rand = rng(60 + dim);
    const w = Float64Array.from({ length: n * ps }, () => (rand() - 0.5) / Math.sqrt(n));
    const r = new Rollout(sim, T, 'auto');
    await r.forward();
    const sT = await readF32(gpu.device, r.final.buf);
    const gw = sim.createState('w', Float32Array.from(w));
    await r.backward(gw);
    const gCtrl = await readF32(gpu.device, sim.adjoint.gCtrl);
    gw.destroy(); r.destroy(); sim.destroy();

    const model = refModel(sim.packed);
    const s0 = Float64Array.from(sim.packed.state0);
    const ref = rollout(model, s0, T)[T];
    // J - 1 from the records' F - I
    const fo = 2 * dim + dim * dim;
    const j1 = (s: ArrayLike<number>, p: number) => det(axpby(ident(dim), 1, Float64Array.from({ length: dim * dim }, (_, i) => s[p * ps + fo + i]), 1)) - 1;
    let num = 0, den = 0;
    for (let p = 0; p < n; p++) { num += (j1(sT, p) - j1(ref, p)) ** 2; den += j1(ref, p) ** 2; }
    const jErr = Math.sqrt(num / den);
    console.log(`${dim}D fluid: J - 1 after ${T} steps, rms ${Math.sqrt(den / n).toExponential(2)}, GPU against reference rms relative ${jErr.toExponential(2)}`);
    expect(jErr).toBeLessThan(5e-4);

    const L = (m: RefModel) => dot(w, rollout(m, s0, T)[T]);
    for (const field of ['E', 'nu'] as const) {
      const i = ctrlGroupIndex(model, 0, field);
      const h = 1e-6;
      const at = (sg: number) => L(withCtrl(model, model.ctrl.map((x, j) => (j === i ? x * (1 + sg * h) : x))));
      const numeric = (at(1) - at(-1)) / (2 * h);
      const analytic = gCtrl[i] * model.ctrl[i];
      const rel = Math.abs(analytic - numeric) / Math.abs(numeric);
      console.log(`${dim}D fluid: dL/d${field}: analytic ${analytic.toExponential(6)} numeric ${numeric.toExponential(6)} rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(2e-4);
    }
  });
}
