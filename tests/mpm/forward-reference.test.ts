// The GPU forward (float32, fixed-point grid) against the float64 CPU reference over whole
// rollouts: every material in 2D and 3D, with actuation and a moving collider, and blocks sliding
// on the ground with friction. The two are not bitwise equal (f32 arithmetic, fixed-point P2G), so
// each field is compared with a named bound set a few times above the error measured on lavapipe
// (the measured errors are printed, so a drift shows in the log before it fails).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { particleStride } from '../../src/mpm/layout';
import { MAT_FLUID, refModel, refState0, rollout, withCtrl, type RefModel } from '../../src/mpm/reference';
import { Rollout } from '../../src/core/rollout';
import { tinyScene, type TinyOptions } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const STEPS = 60;

/**
 * Positions, absolute in domain units. Measured <= 1.9e-6 (3D, 60 steps; 2D <= 5.4e-7): f32
 * rounding of x ~ 0.5 (6e-8 per step) and the fixed-point grid velocity error, integrated by dt.
 */
const X_TOL = 8e-6;
/** Velocities, relative to the largest |v| of the state. Measured <= 1.6e-4 (3D elastoplastic). */
const V_TOL = 6e-4;
/** Deformation gradients, relative to max |F| (~1). Measured <= 8.1e-6 (3D elastic). */
const F_TOL = 3e-5;
/**
 * Affine velocities. C = 4/dx^2 sum_i w v_i (x_i - x_p) amplifies a grid velocity error dv into a C
 * error of about (4/dx) dv, and in a block moving almost rigidly C itself is tiny, so a relative
 * error in C means little. C errors are measured in units of (4/dx) max|v|, the C that a velocity
 * jump of the state's whole speed across one cell would give: a relative grid-velocity error.
 * Measured <= 1.5e-5 (3D elastoplastic; up to 3.4e-2 relative to max|C| there).
 */
const C_TOL = 6e-5;

interface FieldErrors { x: number; v: number; C: number; F: number }

/** Largest error of each field over all particles, in the units of the *_TOL constants. */
function fieldErrors(model: RefModel, gpuState: Float32Array, ref: Float64Array): FieldErrors {
  const dim = model.dim, ps = particleStride(dim), n = model.n, dd = dim * dim;
  // a fluid's record holds F - I (material.wgsl): its scale is that of F
  const offset = (p: number, lo: number, k: number) => (lo === 2 * dim + dd && model.groupMaterial[model.particleGroup[p]] === MAT_FLUID
    && (k - p * ps - lo) % (dim + 1) === 0 ? 1 : 0);
  const err = (lo: number, len: number) => {
    let e = 0, scale = 0;
    for (let p = 0; p < n; p++) {
      for (let k = p * ps + lo; k < p * ps + lo + len; k++) {
        e = Math.max(e, Math.abs(gpuState[k] - ref[k]));
        scale = Math.max(scale, Math.abs(ref[k] + offset(p, lo, k)));
      }
    }
    return { e, scale };
  };
  const v = err(dim, dim);
  return {
    x: err(0, dim).e,
    v: v.e / v.scale,
    C: err(2 * dim, dd).e / ((4 / model.dx) * v.scale),
    F: (({ e, scale }) => e / scale)(err(2 * dim + dd, dd)),
  };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** What a case must exercise: the final reference state moves by more than this when it is switched off. */
const EXERCISED = 1e-3;

interface Case {
  name: string;
  opts: TinyOptions;
  /** Reference models with a feature switched off: the feature must change the outcome. */
  without?: Record<string, (m: RefModel) => RefModel>;
}

const noActuation = (m: RefModel) => {
  const c = m.ctrl.slice();
  c.fill(0, m.ctrlLayout.actOff, m.ctrlLayout.colOff);
  return withCtrl(m, c);
};
const noColliders = (m: RefModel): RefModel => ({ ...m, nColliders: 0 });
const noFriction = (m: RefModel): RefModel => ({ ...m, groundMu: -1 });

const cases: Case[] = [
  { name: '2D fluid', opts: { dim: 2, material: 'fluid', seed: 1 } },
  { name: '2D elastic', opts: { dim: 2, material: 'elastic', seed: 2 } },
  { name: '2D elastoplastic', opts: { dim: 2, material: 'elastoplastic', seed: 3 } },
  { name: '3D fluid', opts: { dim: 3, material: 'fluid', seed: 4 } },
  { name: '3D elastic', opts: { dim: 3, material: 'elastic', seed: 5 } },
  { name: '3D elastoplastic', opts: { dim: 3, material: 'elastoplastic', seed: 6 } },
  // hi = 0.55: the block's top starts close under the paddle, so the paddle hits it within the rollout.
  { name: '2D elastic, actuated, moving collider', opts: { dim: 2, material: 'elastic', actuated: true, collider: true, hi: 0.55, seed: 7 },
    without: { actuation: noActuation, collider: noColliders } },
  { name: '3D elastoplastic, actuated, moving collider', opts: { dim: 3, material: 'elastoplastic', actuated: true, collider: true, lo: 0.35, hi: 0.55, seed: 8 },
    without: { actuation: noActuation, collider: noColliders } },
  // Blocks that start in the ground band moving down and sideways: the ground's Coulomb friction acts.
  { name: '2D elastic sliding on the ground', opts: { dim: 2, material: 'elastic', lo: 0.1, hi: 0.25, velocity: [0.8, -0.6], seed: 9 },
    without: { friction: noFriction } },
  { name: '3D elastoplastic sliding on the ground', opts: { dim: 3, material: 'elastoplastic', lo: 0.2, hi: 0.4, velocity: [0.8, -0.6, 0.3], seed: 10 },
    without: { friction: noFriction } },
];

for (const { name, opts, without } of cases) {
  test(`GPU forward matches the float64 reference over ${STEPS} steps: ${name}`, async () => {
    const sim = await MpmSim.create(gpu, tinyScene(opts));
    const roll = new Rollout(sim, STEPS, 'full');
    const status = await roll.forward();
    const model = refModel(sim.packed);
    const s0 = refState0(sim.packed);
    const states = rollout(model, s0, STEPS);
    const lines: string[] = [];
    const worst: FieldErrors = { x: 0, v: 0, C: 0, F: 0 };
    for (let t = 10; t <= STEPS; t += 10) {
      const e = fieldErrors(model, await readF32(gpu.device, roll.stateAt(t)!), states[t]);
      lines.push(`t=${t} x ${e.x.toExponential(2)} v ${e.v.toExponential(2)} C ${e.C.toExponential(2)} F ${e.F.toExponential(2)}`);
      for (const k of ['x', 'v', 'C', 'F'] as const) worst[k] = Math.max(worst[k], e[k]);
    }
    console.log(`${name} (n=${model.n}, clamped ${status.clamped}):\n  ${lines.join('\n  ')}`);
    expect(worst.x, 'x').toBeLessThan(X_TOL);
    expect(worst.v, 'v').toBeLessThan(V_TOL);
    expect(worst.C, 'C').toBeLessThan(C_TOL);
    expect(worst.F, 'F').toBeLessThan(F_TOL);
    // The case exercises what its name says.
    for (const [feature, off] of Object.entries(without ?? {})) {
      const d = maxDiff(rollout(off(model), s0, STEPS)[STEPS], states[STEPS]);
      console.log(`${name}: switching off ${feature} moves the final state by ${d.toExponential(2)}`);
      expect(d, `${feature} changes the outcome`).toBeGreaterThan(EXERCISED);
    }
    roll.destroy();
    sim.destroy();
  });
}
