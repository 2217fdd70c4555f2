// Gradients through contacts at the switch points that a body at rest produces exactly: the
// rollout adjoint (GPU) against central differences of the float64 reference along the gradient.
// A block at rest on a frictionless floor has floor nodes moving straight into it (tangential
// velocity exactly zero): the tangential gradient must pass there as it does at any other speed.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { particleStride } from '../../src/mpm/layout';
import { refModel } from '../../src/mpm/reference/ref-model';
import { rollout } from '../../src/mpm/reference/step';
import { rng } from '../../src/core/finite-diff';
import type { MaterialKind } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const STEPS = 12;

for (const dim of [2, 3] as const) {
  for (const material of ['fluid', 'elastic'] as MaterialKind[]) {
    test(`${dim}D ${material} at rest on a frictionless floor: dL/dv0 along the floor`, async () => {
      // On the lattice, at rest, its lowest particles reaching into the floor band (3 cells), clear of the side walls.
      const res = dim === 2 ? 32 : 16;
      const dx = 1 / res;
      const lo = Array.from({ length: dim }, (_, i) => (i === 1 ? 3 * dx : 0.35));
      const hi = Array.from({ length: dim }, (_, i) => (i === 1 ? 3 * dx + 0.12 : 0.55));
      const scene = tinyScene({ dim, material, lo, hi, jitter: false, velocity: Array(dim).fill(0), groundFriction: null, seed: 3 });
      const sim = await MpmSim.create(gpu, scene);
      const { n } = sim.packed;
      const ps = particleStride(dim);
      const rand = rng(17 + dim);
      const w = Float64Array.from({ length: n * ps }, () => (rand() - 0.5) / Math.sqrt(n));
      const r = new Rollout(sim, STEPS, 'full');
      await r.forward();
      const gw = sim.createState('w', Float32Array.from(w));
      const g = await readF32(gpu.device, await r.backward(gw));
      gw.destroy(); r.destroy(); sim.destroy();
      // along the gradient over the velocity components parallel to the floor
      const pick = (i: number) => i % ps >= dim && i % ps < 2 * dim && i % ps !== dim + 1;
      const d = Float64Array.from({ length: n * ps }, (_, i) => (pick(i) ? g[i] : 0));
      const gn = Math.sqrt(dot(d, d));
      d.forEach((x, i) => { d[i] = x / gn; });
      const model = refModel(sim.packed);
      const s0 = Float64Array.from(sim.packed.state0);
      const L = (s: Float64Array) => dot(w, rollout(model, s, STEPS)[STEPS]);
      const h = 1e-6;
      const numeric = (L(s0.map((x, i) => x + h * d[i])) - L(s0.map((x, i) => x - h * d[i]))) / (2 * h);
      const analytic = dot(g, d);
      const rel = Math.abs(analytic - numeric) / Math.abs(numeric);
      console.log(`${dim}D ${material} at rest on the floor, dL/dv0 along it: analytic ${analytic.toExponential(6)} numeric ${numeric.toExponential(6)} rel ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-3);
    });
  }
}

// A body at rest (or falling) beside a separating wall is exactly at the wall's switch: its wall
// nodes have v.n = 0, where contact() passes v as it is, and any push toward the wall is removed.
// Central differences there average the two one-sided derivatives; the adjoint takes the side the
// forward took (free). So a gradient check of such a state, as dam-break-2d and -3d start, compares
// different things, whatever the precision. The experiment: the same fluid column, once touching
// the wall band (one-sided differences apart, the adjoint off central differences) and once half
// a cell clear of it (one-sided differences agree, and the adjoint with them).
const T = 30;
for (const [where, x0] of [['touching the wall band', 3], ['half a cell clear of it', 3.5]] as const) {
  test(`2D fluid column at rest ${where}: the adjoint against central differences along dL/dv0`, async () => {
    const dx = 1 / 32;
    const scene = tinyScene({ dim: 2, material: 'fluid', lo: [x0 * dx, 3 * dx], hi: [x0 * dx + 0.2, 3 * dx + 0.3], jitter: false,
      velocity: [0, 0], groundFriction: null, seed: 5 });
    const sim = await MpmSim.create(gpu, scene);
    const { n } = sim.packed;
    const ps = particleStride(2);
    const rand = rng(41);
    const w = Float64Array.from({ length: n * ps }, () => (rand() - 0.5) / Math.sqrt(n));
    const r = new Rollout(sim, T, 'auto');
    await r.forward();
    const gw = sim.createState('w', Float32Array.from(w));
    const g = await readF32(gpu.device, await r.backward(gw));
    gw.destroy(); r.destroy(); sim.destroy();
    const d = Float64Array.from({ length: n * ps }, (_, i) => (i % ps >= 2 && i % ps < 4 ? g[i] : 0));
    const gn = Math.sqrt(dot(d, d));
    d.forEach((x, i) => { d[i] = x / gn; });
    const analytic = dot(g, d);
    const model = refModel(sim.packed);
    const s0 = Float64Array.from(sim.packed.state0);
    const L = (s: Float64Array) => dot(w, rollout(model, s, T)[T]);
    const at = (h: number) => L(s0.map((x, i) => x + h * d[i]));
    const h = 1e-6, L0 = at(0), Lp = at(h), Lm = at(-h);
    const central = (Lp - Lm) / (2 * h);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    // one-sided differences: a smooth loss has them agree to O(h); at a switch they differ by its jump
    const fwd = (Lp - L0) / h, bwd = (L0 - Lm) / h;
    console.log(`column ${where}: analytic ${analytic.toExponential(6)} central ${central.toExponential(6)} rel ${rel(analytic, central).toExponential(2)}; one-sided ${fwd.toExponential(6)}, ${bwd.toExponential(6)}`);
    if (x0 !== 3) {
      expect(rel(fwd, bwd)).toBeLessThan(1e-5);
      expect(rel(analytic, central)).toBeLessThan(1e-4);
      return;
    }
    expect(rel(fwd, bwd)).toBeGreaterThan(1e-3);
    expect(rel(analytic, central)).toBeGreaterThan(1e-3);
  });
}
