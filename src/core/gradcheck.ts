// Gradient check: the GPU adjoint of a whole rollout against central finite differences of the
// float64 CPU reference, along random directions, for every parameter kind the scene has.
// The loss is a random linear functional of the final state (every component weighted), so the
// check covers x, v, C and F, not only what one loss happens to read.
import type { GpuContext } from '../gpu/device';
import { readF32, writeBuffer } from '../gpu/buffers';
import type { MpmScene } from '../mpm/scene';
import { MpmSim } from '../mpm/simulator';
import { orientComps, particleStride, spinComps, TRACK_SLOT, TRACK_STRIDE } from '../mpm/layout';
import { Rollout } from './rollout';
import { refModel, withCtrl, type RefModel } from '../mpm/reference/ref-model';
import { rollout as refRollout } from '../mpm/reference/step';
import { rng } from './finite-diff';

export interface GradCheckEntry {
  param: string;
  analytic: number;
  numeric: number;
  relError: number;
  /** Norm of the analytic gradient block of this parameter (directions are unit vectors). */
  gradNorm: number;
  /**
   * False when the loss is not smooth along this direction at this step size: central differences
   * with a step four times smaller disagree by more than 10% (a node entering a sharp collider, a
   * particle crossing a yield kink). Such a check is reported, not judged: no gradient can match it.
   */
  smooth: boolean;
  ok: boolean;
}

export interface GradCheckReport {
  scene: string;
  steps: number;
  seed: number;
  tolerance: number;
  /** Absolute differences below this are float32 noise (NOISE_FLOOR x the largest derivative). */
  noiseFloor: number;
  checks: GradCheckEntry[];
  /** Largest relative error among the smooth checks whose derivatives are above the noise floor. */
  maxRelError: number;
  ok: boolean;
}

export interface GradCheckOptions {
  seed?: number;
  steps?: number;
  /** Largest relative error accepted (signs must agree too). */
  tolerance?: number;
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A direction over a subset of a vector's entries (Gaussian, then normalised). */
function direction(n: number, rand: () => number, pick: (i: number) => boolean): Float64Array {
  const d = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) if (pick(i)) { d[i] = gauss(rand); s += d[i] * d[i]; }
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < n; i++) d[i] *= inv;
  return d;
}

/** Relative to the largest derivative of a report: float32 noise level over a rollout. */
const NOISE_FLOOR = 1e-6;
const FLUID_TOL = 3e-2;

/** Norm of g restricted to the entries where d is non-zero. */
const norm = (g: ArrayLike<number>, d: ArrayLike<number>) => { let s = 0; for (let i = 0; i < d.length; i++) if (d[i] !== 0) s += g[i] * g[i]; return Math.sqrt(s); };

const dotp = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

export async function gradcheckScene(gpu: GpuContext, scene: MpmScene, o: GradCheckOptions = {}): Promise<GradCheckReport> {
  const seed = o.seed ?? 1;
  const steps = o.steps ?? Math.min(scene.steps, 20);
  // A weakly compressible fluid's pressure is K J (J - 1) with J - 1 ~ 1e-3, and float32 keeps J to
  // ~1e-7: over tens of steps that moves its gradients by up to a few percent (measured 0.4-1.5%),
  // so scenes with a fluid are held to FLUID_TOL. Elastic and plastic ones stay at 1%.
  const hasFluid = scene.groups.some((g) => g.material === 'fluid');
  const tolerance = o.tolerance ?? (hasFluid ? FLUID_TOL : 1e-2);
  const rand = rng(seed);
  const sim = await MpmSim.create(gpu, scene);
  const { dim, n, nGroups, nAct, nColliders, horizon, ctrlLayout: lay } = sim.packed;
  const ps = particleStride(dim);
  const weights = new Float64Array(n * ps).map(() => gauss(rand) / Math.sqrt(n));
  const r = new Rollout(sim, steps, 'auto');
  await r.forward();
  const gFinal = sim.createState('gradcheck.weights', Float32Array.from(weights));
  const g0 = await readF32(gpu.device, await r.backward(gFinal));
  const gCtrl = await readF32(gpu.device, sim.adjoint.gCtrl);
  gFinal.destroy();
  r.destroy();
  sim.destroy();

  const model = refModel(sim.packed, 0);
  const s0 = Float64Array.from(sim.packed.state0);
  const loss = (m: RefModel, s: Float64Array) => dotp(weights, refRollout(m, s, steps)[steps]);
  const checks: GradCheckEntry[] = [];
  // Along a random direction the derivative can be near zero by cancellation, so its error is also
  // judged against the gradient norm; along the gradient itself the relative error alone decides.
  // A parameter with no effect in float64 (numeric exactly 0, e.g. E of a body that has not yet
  // deformed) gets float32 rounding noise from the GPU: differences under NOISE_FLOOR times the
  // largest derivative of the report are accepted as that noise.
  const pending: { entry: GradCheckEntry; alongGradient: boolean; tol: number }[] = [];
  const add = (param: string, analytic: number, numeric: number, gradNorm: number, alongGradient: boolean,
    tol: number, fdAt: (h: number) => number, eps: number) => {
    const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-12);
    // Only a check that would fail pays for the smoothness test (two more rollouts).
    let smooth = true;
    if (relError > tol) {
      const finer = fdAt(eps / 4);
      smooth = Math.abs(finer - numeric) <= 0.1 * Math.max(Math.abs(finer), Math.abs(numeric), 1e-300);
    }
    const entry = { param, analytic, numeric, relError, gradNorm, smooth, ok: false };
    checks.push(entry);
    pending.push({ entry, alongGradient, tol });
  };
  let floor = 0;
  const judge = () => {
    floor = NOISE_FLOOR * Math.max(0, ...checks.filter((c) => c.smooth).map((c) => Math.abs(c.numeric)));
    for (const { entry: c, alongGradient, tol } of pending) {
      const diff = Math.abs(c.analytic - c.numeric);
      c.ok = !c.smooth || (c.relError <= tol && Math.sign(c.analytic) === Math.sign(c.numeric)) || diff <= floor
        || (!alongGradient && diff <= tol * c.gradNorm);
    }
  };
  const stateCheck = (param: string, lo: number, len: number, eps: number) => {
    const pick = (i: number) => i % ps >= lo && i % ps < lo + len;
    const fd = (d: Float64Array, h = eps) => (loss(model, s0.map((x, i) => x + h * d[i])) - loss(model, s0.map((x, i) => x - h * d[i]))) / (2 * h);
    const d = direction(n * ps, rand, pick);
    const gn = norm(g0, d);
    add(param, dotp(g0, d), fd(d), gn, false, tolerance, (h) => fd(d, h), eps);
    if (gn > 0) {
      const dg = Float64Array.from(g0, (x, i) => (pick(i) ? x / gn : 0));
      add(`${param}@gradient`, dotp(g0, dg), fd(dg), gn, true, tolerance, (h) => fd(dg, h), eps);
    }
  };
  const ctrlCheck = (param: string, pick: (i: number) => boolean, relative: boolean, eps: number, tol = tolerance) => {
    const ga = Array.from(model.ctrl, (_, i) => gCtrl[i]); // batch 1: the GPU layout coincides
    const fd = (d: Float64Array, h = eps) => (loss(withCtrl(model, model.ctrl.map((x, i) => x + h * d[i])), s0)
      - loss(withCtrl(model, model.ctrl.map((x, i) => x - h * d[i])), s0)) / (2 * h);
    const d = direction(model.ctrl.length, rand, pick);
    if (relative) for (let i = 0; i < d.length; i++) d[i] *= model.ctrl[i]; // a fraction of the value
    const gn = norm(ga, d);
    add(param, dotp(ga, d), fd(d), gn, false, tol, (h) => fd(d, h), eps);
    const count = d.reduce((c, x) => c + (x !== 0 ? 1 : 0), 0);
    if (count > 1 && gn > 0) {
      const dg = Float64Array.from(ga, (x, i) => (d[i] !== 0 ? x / gn : 0));
      add(`${param}@gradient`, dotp(ga, dg), fd(dg), gn, true, tolerance, (h) => fd(dg, h), eps);
    }
  };
  const dx = scene.grid.dx;
  stateCheck('x0', 0, dim, 1e-5 * dx);
  stateCheck('v0', dim, dim, 1e-6);
  stateCheck('C0', 2 * dim, dim * dim, 1e-5);
  stateCheck('F0', 2 * dim + dim * dim, dim * dim, 1e-7);
  for (let g = 0; g < nGroups; g++) {
    ctrlCheck(`groups[${g}].E`, (i) => i === lay.groupsOff + g * 8, true, 1e-6);
    ctrlCheck(`groups[${g}].nu`, (i) => i === lay.groupsOff + g * 8 + 1, true, 1e-6);
  }
  const inSteps = (off: number, rowLen: number) => (i: number) => i >= off && i < off + Math.min(steps, horizon) * rowLen;
  if (nAct > 0) ctrlCheck('actuation', inSteps(lay.actOff, nAct), false, 1e-6);
  if (nColliders > 0) {
    const track = (slot: number, len: number) => (i: number) => inSteps(lay.colOff, nColliders * TRACK_STRIDE)(i) &&
      (i - lay.colOff) % TRACK_STRIDE >= slot && (i - lay.colOff) % TRACK_STRIDE < slot + len;
    ctrlCheck('colliders.position', track(TRACK_SLOT.position, dim), false, 1e-5 * dx);
    ctrlCheck('colliders.velocity', track(TRACK_SLOT.velocity, dim), false, 1e-6);
    ctrlCheck('colliders.orientation', track(TRACK_SLOT.orientation, orientComps(dim)), false, 1e-5);
    ctrlCheck('colliders.angularVelocity', track(TRACK_SLOT.angularVelocity, spinComps(dim)), false, 1e-5);
  }
  judge();
  // derivatives within the noise floor have no meaningful relative error
  const maxRelError = Math.max(0, ...checks.filter((c) => c.smooth && Math.max(Math.abs(c.analytic), Math.abs(c.numeric)) > floor).map((c) => c.relError));
  return { scene: scene.name, steps, seed, tolerance, noiseFloor: floor, checks, maxRelError, ok: checks.every((c) => c.ok) };
}
