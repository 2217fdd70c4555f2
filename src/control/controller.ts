// A closed-loop MLP controller as data: what a scene asks for (ControllerSpec), the layout of its
// features and weights that the WGSL kernels and the float64 reference share (ControllerLayout),
// seeded weights, and the float64 reference of the features and the MLP (the oracle of the tests).
// No GPU code here: controlled-sim.ts runs it on the GPU around any simulator.
import { mulberry32 } from '../core/rng';
import { sceneError } from '../core/scene-error';


export const CONTROLLER_INPUTS = ['com', 'velocity', 'phase', 'goal'] as const;
export type ControllerInput = (typeof CONTROLLER_INPUTS)[number];

/** A scene's `controller` field: an MLP that sets every actuation channel from the state each step. */
export interface ControllerSpec {
  /** Widths of the hidden layers (sin activations), e.g. [32]. Default [32]. */
  hidden?: number[];
  /**
   * Features (laid out in this order, whichever are chosen): 'com' (centre of mass minus its initial value, dim floats), 'velocity'
   * (mass-weighted mean velocity, dim floats), 'phase' (sin and cos of 2 pi t dt / period for each
   * period), 'goal' (a command per copy, e.g. a target speed). Default ['com', 'velocity', 'phase'].
   */
  inputs?: ControllerInput[];
  /** Periods of the phase inputs, in seconds. Default [one tenth of the scene's duration]. */
  periods?: number[];
  /**
   * The goal: one vector for every copy, or one per copy (copy b takes goal[b % length]). With
   * several, the goal feature is normalised by them (goalNorm): the listed goals span [-1, 1].
   */
  goal?: number[] | number[][];
  /** Actuation = scale * tanh(output). Default 1. */
  scale?: number;
  /** Seed of the initial weights. Default 1. */
  seed?: number;
  /**
   * The weights themselves, in place of seeded ones: every layer's [out][in] matrix row-major, then
   * its biases, layer after layer (the parameter block 'controller', as a trained run's best.json
   * and best-scene.json hold it). Rounded to float32.
   */
  weights?: number[];
}

/** Sizes and offsets shared by the kernels (controlled-sim.ts writes them as WGSL constants) and the reference. */
export interface ControllerLayout {
  dim: number;
  /** Offset of each input in a copy's feature vector (-1: not an input), and the features' count. */
  com: number;
  vel: number;
  phase: number;
  goal: number;
  features: number;
  /** Phase inputs: t dt / period per step is t * phaseRate[k]. */
  phaseRate: number[];
  goalLength: number;
  /** The goal feature is (goal[k] - goalShift[k]) * goalScale[k] (goalNorm). */
  goalShift: number[];
  goalScale: number[];
  /** Widths of every layer: features, hidden..., channels. */
  sizes: number[];
  /** Offset of layer l's weights [out][in] row-major, then its biases [out], in a copy's block. */
  weightOffsets: number[];
  weights: number;
  scale: number;
}

const MAX_WIDTH = 256;
/** Hidden units over all layers: with the features and outputs, two f32 arrays of them fit the 16 KiB of workgroup memory WebGPU guarantees. */
export const MAX_HIDDEN_UNITS = 1024;

/** The layout of a (validated) spec for a simulator of `dim` with `channels` actuation channels. */
export function controllerLayout(spec: ControllerSpec, o: { dim: number; channels: number; dt: number; duration: number }): ControllerLayout {
  const inputs = spec.inputs ?? ['com', 'velocity', 'phase'];
  const periods = spec.periods ?? [o.duration / 10];
  const goal = goalRows(spec.goal);
  const goalLength = inputs.includes('goal') ? goal[0]?.length ?? 0 : 0;
  const norm = goalNorm(goal, goalLength);
  let at = 0;
  const take = (name: ControllerInput, n: number) => { if (!inputs.includes(name)) return -1; const r = at; at += n; return r; };
  // the order of the features is the order of CONTROLLER_INPUTS, whatever the spec's order
  const com = take('com', o.dim), vel = take('velocity', o.dim), phase = take('phase', 2 * periods.length), goalAt = take('goal', goalLength);
  const sizes = [at, ...(spec.hidden ?? [32]), o.channels];
  const weightOffsets: number[] = [];
  let w = 0;
  for (let l = 0; l + 1 < sizes.length; l++) { weightOffsets.push(w); w += sizes[l] * sizes[l + 1] + sizes[l + 1]; }
  return {
    dim: o.dim, com, vel, phase: inputs.includes('phase') ? phase : -1, goal: goalAt, features: at,
    phaseRate: inputs.includes('phase') ? periods.map((p) => o.dt / p) : [], goalLength, goalShift: norm.shift, goalScale: norm.scale,
    sizes, weightOffsets, weights: w, scale: spec.scale ?? 1,
  };
}

/** The goals a scene's controller commands, one row per copy (copy b takes row b % rows), or none without a 'goal' input. */
export function commandedGoals(spec: ControllerSpec | undefined): number[][] {
  return spec?.inputs?.includes('goal') ? goalRows(spec.goal) : [];
}

/**
 * The goal feature's shift and scale per component, from the spec's goals: the midpoint of their
 * range and one over its half, so the listed goals span [-1, 1] like the phase inputs. A command
 * of raw size (target speeds of 0.03 to 0.12) beside inputs of +-1 barely moves the first layer,
 * and the controller learns one behaviour for every command. A component that does not vary (one
 * goal) is left as it is. Fixed by the spec, not by setGoals: a command the controller was not
 * trained on is seen on the training scale.
 */
export function goalNorm(rows: number[][], n: number): { shift: number[]; scale: number[] } {
  const shift: number[] = [], scale: number[] = [];
  for (let k = 0; k < n; k++) {
    const lo = Math.min(...rows.map((r) => r[k])), hi = Math.max(...rows.map((r) => r[k]));
    shift.push(hi > lo ? (hi + lo) / 2 : 0);
    scale.push(hi > lo ? 2 / (hi - lo) : 1);
  }
  return { shift, scale };
}

function goalRows(goal: ControllerSpec['goal']): number[][] {
  if (!goal || goal.length === 0) return [];
  return Array.isArray(goal[0]) ? (goal as number[][]) : [goal as number[]];
}

/** The goal of copy b (empty without a goal input). */
export function goalOf(spec: ControllerSpec, lay: ControllerLayout, b: number): number[] {
  if (lay.goal < 0) return [];
  const rows = goalRows(spec.goal);
  return rows[b % rows.length];
}

/** Checks a scene's `controller` field; throws SceneError naming the field. `channels`: the scene's actuation channels. */
export function validateController(raw: unknown, channels: number, dim?: number): ControllerSpec {
  const f = (k: string) => (k ? `controller.${k}` : 'controller');
  const show = (x: unknown) => JSON.stringify(x);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw sceneError(f(''), show(raw), 'has the wrong type', 'an object { hidden, inputs, periods, goal, scale, seed, weights }');
  if (channels < 1) throw sceneError(f(''), 'present', 'needs actuation channels to drive', 'a scene with actuation.channels >= 1');
  const s = raw as Record<string, unknown>;
  const known = ['hidden', 'inputs', 'periods', 'goal', 'scale', 'seed', 'weights'];
  for (const k of Object.keys(s)) if (!known.includes(k)) throw sceneError(f(k), show(s[k]), 'is not a controller field', known.join(', '));
  const posInts = (k: string, max: number) => {
    const v = s[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || v.length === 0 || v.length > 8 || !v.every((x) => Number.isInteger(x) && x >= 1 && x <= max)) {
      throw sceneError(f(k), show(v), 'is out of range', `1 to 8 layer widths, integers in [1, ${max}]`);
    }
  };
  posInts('hidden', MAX_WIDTH);
  if (s.inputs !== undefined && (!Array.isArray(s.inputs) || s.inputs.length === 0 || !s.inputs.every((x) => (CONTROLLER_INPUTS as readonly unknown[]).includes(x)) || new Set(s.inputs).size !== s.inputs.length)) {
    throw sceneError(f('inputs'), show(s.inputs), 'is not a list of distinct inputs', CONTROLLER_INPUTS.join(', '));
  }
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  if (s.periods !== undefined && (!Array.isArray(s.periods) || s.periods.length === 0 || s.periods.length > 8 || !s.periods.every((x) => finite(x) && x > 0))) {
    throw sceneError(f('periods'), show(s.periods), 'is out of range', '1 to 8 periods in seconds, each > 0');
  }
  if (s.scale !== undefined && !(finite(s.scale) && (s.scale as number) > 0)) throw sceneError(f('scale'), show(s.scale), 'is out of range', 'a number > 0');
  if (s.seed !== undefined && !(Number.isInteger(s.seed) && (s.seed as number) >= 0)) throw sceneError(f('seed'), show(s.seed), 'is out of range', 'an integer >= 0');
  const wantsGoal = (s.inputs as string[] | undefined)?.includes('goal') ?? false;
  if (s.goal !== undefined) {
    const rows = Array.isArray(s.goal) && s.goal.length > 0 ? goalRows(s.goal as number[]) : [];
    if (!rows.length || !rows.every((r) => Array.isArray(r) && r.length >= 1 && r.length <= 16 && r.length === rows[0].length && r.every(finite))) {
      throw sceneError(f('goal'), show(s.goal), 'is not a goal', 'a list of 1 to 16 finite numbers, or a list of such lists of one length (one per copy)');
    }
  }
  if (wantsGoal && s.goal === undefined) throw sceneError(f('goal'), undefined, 'is missing', "a goal vector: inputs include 'goal'");
  const sizes = [...((s.hidden as number[] | undefined) ?? [32])];
  if (sizes.reduce((a, w) => a + w, 0) > MAX_HIDDEN_UNITS) throw sceneError(f('hidden'), show(s.hidden), 'has too many units', `at most ${MAX_HIDDEN_UNITS} hidden units in all (the layers live in 16 KiB of workgroup memory)`);
  if (channels > MAX_WIDTH) throw sceneError('actuation.channels', String(channels), 'is too many for a controller', `<= ${MAX_WIDTH}`);
  if (s.weights !== undefined) checkWeights(s as ControllerSpec, channels, dim);
  return s as ControllerSpec;
}

/** A spec's own weights (the schema checked each is a float32 number): as many as its layers hold, where the scene's dim is known. */
function checkWeights(s: ControllerSpec, channels: number, dim: number | undefined): void {
  const w = s.weights!;
  if (dim === undefined) return;
  // the sizes do not depend on dt or the duration
  const lay = controllerLayout(s, { dim, channels, dt: 1, duration: 1 });
  if (w.length !== lay.weights) {
    throw sceneError('controller.weights', `${w.length} numbers`, 'does not match the controller\'s layers',
      `${lay.weights} numbers: layers ${lay.sizes.join(' -> ')} (features -> hidden -> channels), each matrix [out][in] row-major then its biases`);
  }
}

/** A spec's own weights (`weights`) as one copy's block, checked against the layout. */
export function weightsOf(weights: ArrayLike<number>, lay: ControllerLayout): Float32Array {
  if (weights.length !== lay.weights) throw new RangeError(`controller.weights has ${weights.length} numbers, expected ${lay.weights} (layers ${lay.sizes.join(' -> ')})`);
  const w = Float32Array.from(weights);
  const bad = w.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new RangeError(`controller.weights[${bad}] = ${weights[bad]}: allowed finite float32 numbers`);
  return w;
}

/** Seeded weights of one copy: uniform in +-sqrt(3 / fan-in) (variance 1 / fan-in), biases 0, rounded to float32. */
export function initialWeights(lay: ControllerLayout, seed: number): Float32Array {
  const r = mulberry32(seed), w = new Float32Array(lay.weights);
  for (let l = 0; l + 1 < lay.sizes.length; l++) {
    const nin = lay.sizes[l], nout = lay.sizes[l + 1], a = Math.sqrt(3 / Math.max(1, nin));
    for (let k = 0; k < nin * nout; k++) w[lay.weightOffsets[l] + k] = a * (2 * r() - 1);
  }
  return w;
}

/** tanh as the kernels compute it (no overflow for large |z|). */
export function tanhRef(z: number): number {
  const e = Math.exp(-2 * Math.abs(z));
  return Math.sign(z) * ((1 - e) / (1 + e));
}

/** What the feature kernel reads of one copy's items: positions, velocities (or null), mass fractions and the initial centre of mass. */
export interface FeatureInputs {
  x: (i: number, a: number) => number;
  v: ((i: number, a: number) => number) | null;
  items: number;
  massFraction: ArrayLike<number>;
  com0: ArrayLike<number>;
}

/** A copy's features at step t, float64. */
export function featuresRef(lay: ControllerLayout, s: FeatureInputs, t: number, goal: number[]): Float64Array {
  const f = new Float64Array(lay.features);
  for (let a = 0; a < lay.dim; a++) {
    let cx = 0, cv = 0;
    for (let i = 0; i < s.items; i++) { cx += s.massFraction[i] * s.x(i, a); if (s.v) cv += s.massFraction[i] * s.v(i, a); }
    if (lay.com >= 0) f[lay.com + a] = cx - s.com0[a];
    if (lay.vel >= 0) f[lay.vel + a] = cv;
  }
  lay.phaseRate.forEach((rate, k) => {
    const ph = 2 * Math.PI * ((t * rate) % 1);
    f[lay.phase + 2 * k] = Math.sin(ph);
    f[lay.phase + 2 * k + 1] = Math.cos(ph);
  });
  for (let k = 0; k < lay.goalLength; k++) f[lay.goal + k] = (goal[k] - lay.goalShift[k]) * lay.goalScale[k];
  return f;
}

/** The MLP: features -> actuation (scale tanh of the last layer), float64. */
export function mlpRef(lay: ControllerLayout, w: ArrayLike<number>, features: ArrayLike<number>): Float64Array {
  let h = Float64Array.from(features);
  const L = lay.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const nin = lay.sizes[l], nout = lay.sizes[l + 1], o = lay.weightOffsets[l];
    const z = new Float64Array(nout);
    for (let j = 0; j < nout; j++) {
      let s = w[o + nin * nout + j];
      for (let i = 0; i < nin; i++) s += w[o + j * nin + i] * h[i];
      z[j] = l + 1 < L ? Math.sin(s) : lay.scale * tanhRef(s);
    }
    h = z;
  }
  return h;
}

/** A scene's parameter names once a controller drives its actuation: the actuation's go, 'controller' comes. */
export function withControllerNames(names: string[]): string[] {
  return [...names.filter((n) => n !== 'actuation' && !n.startsWith('actuation.')), 'controller'];
}
