// Gradient check of any differentiable simulator: the GPU adjoint of a whole rollout (float32)
// against central finite differences of a float64 CPU reference, along random directions and along
// the gradient, for every parameter block the subject names. The loss is a random linear
// functional of the final state (every component weighted), so the check covers the whole state,
// not only what one loss happens to read. This file knows nothing of MPM: a simulator supplies a
// GradcheckSubject (src/mpm/gradcheck-subject.ts for MPM), and the rules below judge its entries.
import { rng } from './finite-diff';
import { Rollout } from './rollout';
import type { Simulator } from './simulator';
import { readF32 } from '../gpu/buffers';
import { FD_NOISE, judgeChecks, kinkSpan, type GradCheckEntry, type Measured } from './gradcheck-judge';

export { judgeChecks, NOISE_FLOOR, FD_NOISE, F32_SPREADS, type GradCheckEntry, type Measured, type Verdict } from './gradcheck-judge';

/** A set of inputs checked together (a parameter kind): one random direction over them, one along their gradient. */
export interface CheckBlock {
  /** Name in the report, e.g. 'x0', 'groups[0].E', 'colliders[0].orientation'. */
  name: string;
  /** The vector the block lives in: the initial state or the control. */
  space: 'state' | 'ctrl';
  /** The entries of that vector in the block. */
  pick: (i: number) => boolean;
  /** Directions scale each entry by its value: a derivative per fraction of the value (E, nu, ...). */
  relative?: boolean;
  /** Finite-difference step along a unit direction. */
  eps: number;
}

export interface GradcheckSubject {
  name: string;
  /** Initial state and control of the rollout, float64 (the reference's inputs). */
  state0: Float64Array;
  ctrl: Float64Array;
  /** The blocks to check in a rollout of `steps` steps (a control row the rollout never reads is left out). */
  blocks(steps: number): CheckBlock[];
  /** Largest relative error accepted (signs must agree too). */
  tolerance: number;
  /**
   * GPU adjoint: dL/dstate0 and dL/dctrl, laid out as state0 and ctrl, for L = weights . state_T.
   * With `jitter` (a seed), from state0 with every nonzero entry moved by one float32 ulp, up or
   * down at random: the same derivative rounded differently, which measures its float32 spread.
   */
  gpuGradient(weights: Float64Array, steps: number, jitter?: number): Promise<{ gState: Float32Array; gCtrl: Float32Array }>;
  /**
   * Float64 reference: the final state after `steps` steps from state0 with ctrl. Several calls may
   * be in flight at once (a subject that runs them in worker processes runs them in parallel).
   */
  referenceFinal(state0: Float64Array, ctrl: Float64Array, steps: number): Float64Array | Promise<Float64Array>;
  /**
   * The float64 reference's derivative of the final state along (dState0, dCtrl), linearised at the
   * GPU forward's own float32 states rather than at the reference's: per step, a central difference
   * (step h) of one reference step around the GPU's state, carrying the tangent. An exact adjoint of
   * the GPU's rollout agrees with it even where float32 has moved the trajectory far enough to
   * change the derivative itself (src/core/gradcheck-judge.ts, 'path'). Optional: without it such
   * a check fails.
   */
  tangent?(dState0: Float64Array, dCtrl: Float64Array, steps: number, h: number): Promise<Float64Array>;
  /**
   * Kinks of the loss within float32 rounding of the inputs, where the adjoint takes the mean of
   * the two sides and central differences see the mean, one side or a mix, depending on their step
   * along each entry (MPM: a collider's face within rounding of a node with mass): the blocks they
   * touch, and where, for people. A check of such a block that would fail is reported as 'kink'
   * with that sentence. Optional; asked only when a check fails.
   */
  kinks?(steps: number): Promise<{ blocks: string[]; where: string }[]>;
  destroy?(): void;
}

export interface GradCheckReport {
  scene: string;
  steps: number;
  seed: number;
  tolerance: number;
  checks: GradCheckEntry[];
  /** Largest relative error among the checks judged on it (verdict ok or FAIL). */
  maxRelError: number;
  ok: boolean;
  /** Seconds: the GPU adjoint, the reference rollouts, all. */
  seconds: { gpu: number; reference: number; total: number };
}

export interface GradcheckProgress {
  /** What just finished: 'GPU adjoint', or a check's name. */
  label: string;
  done: number;
  /** Checks planned so far (a check that needs a finer step adds one). */
  total: number;
  elapsedS: number;
}

export interface GradcheckOptions {
  seed?: number;
  steps: number;
  /** Overrides the subject's tolerance. */
  tolerance?: number;
  onProgress?: (p: GradcheckProgress) => void;
  /** Central differences run at once (each runs its two rollouts at once). */
  concurrency?: number;
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A direction over a block's entries (Gaussian, then normalised), scaled by the values for a relative block. */
function direction(n: number, rand: () => number, b: CheckBlock, base: Float64Array): Float64Array {
  const d = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) if (b.pick(i)) { d[i] = gauss(rand); s += d[i] * d[i]; }
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < n; i++) d[i] *= b.relative ? inv * base[i] : inv;
  return d;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const absDot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]); return s; };

/**
 * Norm of the gradient g over a block in the coordinates of its directions (entries scaled by the
 * values for a relative block): the largest derivative along any of its unit directions.
 */
function blockNorm(g: ArrayLike<number>, b: CheckBlock, base: Float64Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) if (b.pick(i)) { const x = b.relative ? g[i] * base[i] : g[i]; s += x * x; }
  return Math.sqrt(s);
}

/** x with every nonzero entry moved by one ulp, up or down as `rand` says. */
export function ulpJitter(x: Float32Array, rand: () => number): Float32Array {
  const out = Float32Array.from(x), bits = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) if (out[i] !== 0 && Number.isFinite(out[i])) bits[i] += rand() < 0.5 ? 1 : -1;
  return out;
}

/** Adjoints rerun from jittered initial states for a check's float32 spread (src/core/gradcheck-judge.ts). */
const SPREAD_RUNS = 2;

export async function gradcheck(subject: GradcheckSubject, o: GradcheckOptions): Promise<GradCheckReport> {
  const t0 = performance.now();
  const seed = o.seed ?? 1, steps = o.steps;
  const tolerance = o.tolerance ?? subject.tolerance;
  // checked before any rollout: a tolerance of -1 or NaN let every check through on its noise terms
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`gradcheck: steps = ${steps}: allowed an integer >= 1`);
  if (!(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`gradcheck: seed = ${seed}: allowed an integer >= 0`);
  if (!(Number.isFinite(tolerance) && tolerance > 0)) throw new RangeError(`gradcheck: tolerance = ${tolerance}: allowed a relative error > 0 (the subject's own: ${subject.tolerance})`);
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) throw new RangeError(`gradcheck: concurrency = ${o.concurrency}: allowed an integer >= 1`);
  const rand = rng(seed);
  const { state0, ctrl } = subject;
  const weights = new Float64Array(state0.length).map(() => gauss(rand) / Math.sqrt(state0.length));
  const blocks = subject.blocks(steps).map((b) => {
    const base = b.space === 'state' ? state0 : ctrl;
    return { ...b, entries: base.reduce((c, _, i) => c + (b.pick(i) ? 1 : 0), 0) };
  });
  // a random direction per block, and one along the gradient over several entries
  let done = 0, total = blocks.reduce((c, b) => c + (b.entries > 1 ? 2 : 1), 0);
  const progress = (label: string) => o.onProgress?.({ label, done, total, elapsedS: (performance.now() - t0) / 1000 });
  const { gState, gCtrl } = await subject.gpuGradient(weights, steps);
  const tGpu = performance.now();
  progress('GPU adjoint');

  // The float64 loss rounds at FD_NOISE of the magnitudes of its terms: those of w . state_T, and
  // the rounding of the perturbed input (x + h d rounds each entry it moves, by about 1e-16 x_i,
  // which moves the loss by g_i times that: their root sum of squares).
  const loss = async (space: CheckBlock['space'], d: Float64Array, h: number) => {
    const s = space === 'state' ? state0.map((x, i) => x + h * d[i]) : state0;
    const c = space === 'ctrl' ? ctrl.map((x, i) => x + h * d[i]) : ctrl;
    const fin = await subject.referenceFinal(s, c, steps);
    return { value: dot(weights, fin), terms: absDot(weights, fin) };
  };
  /** Central difference along d with step h, and the terms its rounding noise scales with. */
  const fd = async (space: CheckBlock['space'], d: Float64Array, h: number) => {
    const [p, m] = await Promise.all([loss(space, d, h), loss(space, d, -h)]);
    const base = space === 'state' ? state0 : ctrl, g = space === 'state' ? gState : gCtrl;
    let input = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) input += (g[i] * base[i]) ** 2;
    return { value: (p.value - m.value) / (2 * h), terms: Math.max(p.terms, m.terms) + Math.sqrt(input), h, plus: p.value, minus: m.value };
  };
  // the loss at the unperturbed inputs, for one-sided differences (one rollout, only if asked)
  let atBase: Promise<{ value: number; terms: number }> | undefined;
  const baseLoss = () => (atBase ??= loss('ctrl', new Float64Array(ctrl.length), 0));

  // the jittered adjoints, run once and only if some check asks for its spread
  let jittered: Promise<{ gState: Float32Array; gCtrl: Float32Array }[]> | undefined;
  const spreadOf = (analytic: number, space: CheckBlock['space'], d: Float64Array) => async () => {
    jittered ??= (async () => {
      const out = [];
      for (let k = 0; k < SPREAD_RUNS; k++) out.push(await subject.gpuGradient(weights, steps, seed * 7919 + k + 1));
      return out;
    })();
    const values = [analytic, ...(await jittered).map((g) => dot(space === 'state' ? g.gState : g.gCtrl, d))];
    return Math.max(...values) - Math.min(...values);
  };
  const tangentOf = (space: CheckBlock['space'], d: Float64Array, h: number) => subject.tangent && (async () => {
    const zeros = (n: number) => new Float64Array(n);
    const fin = await subject.tangent!(space === 'state' ? d : zeros(state0.length), space === 'ctrl' ? d : zeros(ctrl.length), steps, h);
    return dot(weights, fin);
  });
  const measured: Measured[] = [];
  const wider: ((h: number) => Promise<{ value: number; terms: number; oneSided: [number, number] }>)[] = [];
  const tasks: (() => Promise<void>)[] = [];
  const add = (m: Omit<Measured, 'numeric' | 'terms' | 'finer'>, space: CheckBlock['space'], d: Float64Array, eps: number) => {
    // the central and one-sided differences at step h: 2 more rollouts, only when asked
    const sides = async (h: number, label: string) => {
      total++;
      const [f, l0] = await Promise.all([fd(space, d, h), baseLoss()]);
      done++;
      progress(`${m.param} (${label})`);
      return { value: f.value, terms: Math.max(f.terms, l0.terms), oneSided: [(f.plus - l0.value) / h, (l0.value - f.minus) / h] as [number, number] };
    };
    // a finer step, for a check that would fail at this one
    const finer = () => sides(eps / 4, 'step / 4');
    const entry: Measured = { ...m, numeric: NaN, terms: NaN, finer, spread: spreadOf(m.analytic, space, d), tangent: tangentOf(space, d, eps) };
    measured.push(entry);
    // a larger step, for a kink the scene names that the steps above did not cross
    wider.push((h: number) => sides(h, `step x ${h / eps}`));
    tasks.push(async () => {
      const r = await fd(space, d, eps);
      entry.numeric = r.value;
      entry.terms = r.terms;
      done++;
      progress(m.param);
    });
  };
  for (const b of blocks) {
    const base = b.space === 'state' ? state0 : ctrl;
    const g = b.space === 'state' ? gState : gCtrl;
    const d = direction(base.length, rand, b, base);
    const gn = blockNorm(g, b, base), entries = b.entries;
    add({ param: b.name, block: b.name, alongGradient: false, entries, analytic: dot(g, d), gradNorm: gn, eps: b.eps }, b.space, d, b.eps);
    if (entries > 1 && gn > 0) {
      // the unit direction (in the block's coordinates) along the analytic gradient
      const dg = new Float64Array(base.length);
      for (let i = 0; i < base.length; i++) if (b.pick(i)) dg[i] = b.relative ? (g[i] * base[i] * base[i]) / gn : g[i] / gn;
      add({ param: `${b.name}@gradient`, block: b.name, alongGradient: true, entries, analytic: dot(g, dg), gradNorm: gn, eps: b.eps }, b.space, dg, b.eps);
    } else if (entries > 1) total--; // a zero gradient has no direction
  }
  // A few differences in flight keep a subject's workers busy; all at once would hold every
  // perturbed input in memory.
  let next = 0;
  await Promise.all(Array.from({ length: o.concurrency ?? 2 }, async () => { while (next < tasks.length) await tasks[next++](); }));
  const checks = await judgeChecks(measured, tolerance);
  if (subject.kinks && checks.some((c) => c.verdict === 'FAIL')) {
    const kinks = await subject.kinks(steps);
    for (const [i, c] of checks.entries()) {
      const k = c.verdict === 'FAIL' ? kinks.find((x) => x.blocks.includes(c.block)) : undefined;
      if (k && await acrossKink(c, measured[i].eps, wider[i], tolerance)) { c.verdict = 'kink'; c.ok = true; c.kinkAt = k.where; }
    }
  }
  const tEnd = performance.now();
  // ok~, noise and f32 are not judged on their relative error, kinks not at all
  const judged = checks.filter((c) => c.verdict === 'ok' || c.verdict === 'FAIL');
  return {
    scene: subject.name, steps, seed, tolerance, checks,
    maxRelError: Math.max(0, ...judged.map((c) => c.relError)),
    ok: checks.every((c) => c.ok),
    seconds: { gpu: (tGpu - t0) / 1000, reference: (tEnd - tGpu) / 1000, total: (tEnd - t0) / 1000 },
  };
}

/**
 * Whether a check of a block that meets a kink the scene names has its analytic value among the
 * differences measured across the kink (kinkSpan, src/core/gradcheck-judge.ts), as the judge's own
 * kinks must. Such a kink lies within float32 rounding of one entry, and along a random direction
 * that entry's share of the step can stay on one side of it: the differences then all see one side
 * while the adjoint takes the mean of the two (a capsule's seam on a node: 1.954 against 2.191 at
 * the step and a quarter of it). So where the value is outside, the same differences are taken at 4
 * and then 16 times the step, the judge's ladder continued, until it lies within their span (there,
 * 1.874 and 2.191 at 4 times), or neither does: FAIL.
 */
async function acrossKink(c: GradCheckEntry, eps: number, wider: (h: number) => Promise<{ value: number; terms: number; oneSided: [number, number] }>, tol: number): Promise<boolean> {
  const inside = (span: [number, number] | undefined) => span !== undefined && c.analytic >= span[0] && c.analytic <= span[1];
  if (inside(c.kinkSpan) || c.numericFiner === undefined) return inside(c.kinkSpan);
  const xs = [c.numeric, c.numericFiner, ...(c.oneSided ?? [])];
  for (const r of [4, 16]) {
    const w = await wider(r * eps);
    xs.push(w.value, ...w.oneSided);
    // the noise allowed at the quarter step (2 x its central noise, about 4 x fdNoise, for a one-sided
    // difference) and at the wider one
    const span = kinkSpan(xs, Math.abs(c.numericFiner - c.numeric), tol, c.fdNoise + c.floor + 2 * FD_NOISE * w.terms / (r * eps) + 8 * c.fdNoise);
    if (inside(span)) { c.kinkSpan = span; return true; }
  }
  return false;
}

export interface SimulatorSubjectOptions {
  name: string;
  tolerance: number;
  /** Finite-difference step of each state field along a unit direction, by field name. */
  stateEps: Record<string, number>;
  /** The simulator's float64 reference: the final state (one copy) after `steps` from state0 with ctrl. */
  reference(state0: Float64Array, ctrl: Float64Array, steps: number): Float64Array | Promise<Float64Array>;
  /**
   * The reference's tangent carried across `states` (float32, one after another, the first at step
   * `first`), from `delta` along the control direction dCtrl with step h: gives the subject a
   * tangent() (GradcheckSubject) linearised at the GPU's trajectory.
   */
  tangentSteps?(states: Float32Array, first: number, delta: Float64Array, ctrl: Float64Array, dCtrl: Float64Array, h: number): Promise<Float64Array>;
  /** GradcheckSubject.kinks. */
  kinks?(steps: number): Promise<{ blocks: string[]; where: string }[]>;
  destroy?(): void;
}

/**
 * SimulatorSubjectOptions.tangentSteps for a family whose float64 step runs in this process: at each
 * of `states` (the first at step `first`), a central difference of `step` along the tangent carried
 * so far and the control direction dCtrl, with step h. Returns the tangent after the last of them.
 */
export function tangentBySteps(step: (state: Float64Array, ctrl: Float64Array, t: number) => Float64Array,
  states: Float32Array | Float64Array, first: number, delta: Float64Array, ctrl: Float64Array, dCtrl: Float64Array, h: number): Float64Array {
  const n = delta.length, count = states.length / n;
  const plus = ctrl.map((c, i) => c + h * dCtrl[i]), minus = ctrl.map((c, i) => c - h * dCtrl[i]);
  let d = Float64Array.from(delta);
  for (let k = 0; k < count; k++) {
    const a = new Float64Array(n), b = new Float64Array(n);
    for (let i = 0; i < n; i++) { const x = states[k * n + i]; a[i] = x + h * d[i]; b[i] = x - h * d[i]; }
    const pa = step(a, plus, first + k), pb = step(b, minus, first + k);
    d = pa.map((x, i) => (x - pb[i]) / (2 * h));
  }
  return d;
}

/** GPU states a tangent holds at once (bytes): the forward is rerun once per this many of them. */
const TANGENT_STATE_BYTES = 64 * 2 ** 20;

/**
 * The subject of any Simulator (batch 1): a block per state field (named `<field>0`) and one per
 * block of its parameter space, cut to the rows a rollout of `steps` reads; the GPU side through
 * the checkpointed Rollout. A family adds only its float64 reference.
 */
export function simulatorSubject(sim: Simulator, o: SimulatorSubjectOptions): GradcheckSubject {
  if (sim.batch !== 1) throw new RangeError(`gradcheck runs one batch copy; the simulator has ${sim.batch}`);
  const { stride, items } = sim.state;
  const itemFloats = items * stride;
  const state0 = Float64Array.from(sim.state0);
  const ctrl = sim.params.values(0);
  const blocks = (steps: number): CheckBlock[] => {
    const out: CheckBlock[] = sim.state.fields.map((f) => {
      const eps = o.stateEps[f.name];
      if (!(eps > 0)) throw new Error(`gradcheck: no finite-difference step for state field '${f.name}'`);
      return { name: `${f.name}0`, space: 'state', eps, pick: (i: number) => i < itemFloats && i % stride >= f.offset && i % stride < f.offset + f.length };
    });
    let at = itemFloats;
    for (const t of sim.state.tail ?? []) {
      const eps = o.stateEps[t.name], lo = at, hi = at + t.length;
      if (!(eps > 0)) throw new Error(`gradcheck: no finite-difference step for state field '${t.name}'`);
      out.push({ name: `${t.name}0`, space: 'state', eps, pick: (i: number) => i >= lo && i < hi });
      at = hi;
    }
    for (const b of sim.params.blocks) {
      // a per-step block's rows beyond what the rollout reads (row min(k, horizon - 1) at step k) have no effect
      const n = b.rowLength > 0 ? Math.min(steps, sim.horizon) * b.rowLength : b.indices.length;
      const set = new Set(b.indices.subarray(0, n));
      out.push({ name: b.name, space: 'ctrl', pick: (i) => set.has(i), relative: b.relative, eps: b.eps });
    }
    return out;
  };
  return {
    name: o.name, state0, ctrl, blocks, tolerance: o.tolerance,
    async gpuGradient(weights, steps, jitter) {
      const r = new Rollout(sim, steps, 'auto');
      const gFinal = sim.createState('gradcheck.weights', Float32Array.from(weights));
      try {
        await r.forward(jitter === undefined ? sim.state0 : ulpJitter(sim.state0, rng(jitter)));
        const gState = await readF32(sim.device, await r.backward(gFinal));
        const gCtrl = Float32Array.from(sim.params.unpack(await readF32(sim.device, sim.paramGrad), 0));
        return { gState, gCtrl };
      } finally {
        gFinal.destroy();
        r.destroy();
      }
    },
    referenceFinal: (s0, c, steps) => o.reference(s0, c, steps),
    kinks: o.kinks,
    tangent: o.tangentSteps && (async (dState0, dCtrl, steps, h) => {
      // the GPU's states 0 .. steps - 1 (in the user's order), a chunk at a time: the forward is
      // deterministic, so it is rerun for each chunk rather than holding every state at once
      const n = state0.length, chunk = Math.max(1, Math.floor(TANGENT_STATE_BYTES / (4 * n)));
      let delta: Float64Array = Float64Array.from(dState0);
      for (let first = 0; first < steps; first += chunk) {
        const last = Math.min(steps, first + chunk), states = new Float32Array((last - first) * n);
        const r = new Rollout(sim, Math.max(last - 1, 1), 'auto');
        try {
          const keep = Array.from({ length: last - first }, (_, k) => first + k).filter((t) => t > 0);
          if (keep.length > 0) await r.forward(sim.state0, { keep });
          for (let t = first; t < last; t++) states.set(t === 0 ? sim.state0.subarray(0, n) : (await readF32(sim.device, r.kept(t))).subarray(0, n), (t - first) * n);
        } finally {
          r.destroy();
        }
        delta = await o.tangentSteps!(states, first, delta, ctrl, dCtrl, h);
      }
      return delta;
    }),
    destroy() {
      o.destroy?.();
      sim.destroy();
    },
  };
}
