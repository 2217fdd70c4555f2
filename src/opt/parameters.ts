// What an optimizer tunes, by name, on any Simulator: a flat vector theta mapped onto the
// rollout's inputs (the initial state and the control vector of the simulator's parameter space),
// and the rollout's gradients mapped back onto theta.
//
// Names: a block of the parameter space ('groups[0].E', 'actuation', 'colliders[1].velocity', ...:
// see sim.params.blocks), or 'initialVelocity', one velocity given to every item (all start
// moving together; theta starts at their mean). Material blocks are tuned relative to their
// initial value (theta = value / value0), so one learning rate suits E ~ 1e5 and nu ~ 0.3 alike.
import type { Simulator } from '../core/simulator';
import { MAX_HARMONICS, periodicBasis, periodicValue, type PeriodicActuation } from '../core/periodic';
import { paramNameConflict } from './param-conflicts';
// the shape options are the scene's optimize block's (a scene file's, for the command line): a
// SceneError names the field, and the command line shows it without a stack
import { sceneError, show } from '../core/scene-error';

export interface Parameter {
  name: string;
  size: number;
  /** Starting theta. */
  initial: Float64Array;
  /** Writes theta (this parameter's slice) into one copy's item records of the initial state and its control vector (batch-1 layout). */
  apply(theta: Float64Array, items: Float32Array, ctrl: Float64Array): void;
  /** dL/dtheta from dL/d(initial state) (copy 0) and dL/d(control vector), at theta (this parameter's slice). */
  gradient(gState: Float32Array, gCtrl: Float64Array, out: Float64Array, theta?: Float64Array): void;
  /** Clamps theta into the valid range, in place. */
  clamp(theta: Float64Array): void;
}

function initialVelocity(sim: Simulator): Parameter {
  const { items, stride } = sim.state;
  const v = sim.state.fields.find((f) => f.name === 'v');
  if (!v) throw new RangeError(`'initialVelocity': this ${sim.kind} simulator's state has no velocity field`);
  const d = v.length;
  const initial = new Float64Array(d);
  for (let p = 0; p < items; p++) for (let i = 0; i < d; i++) initial[i] += sim.state0[p * stride + v.offset + i] / items;
  return {
    name: 'initialVelocity', size: d, initial,
    apply(theta, copy) {
      for (let o = 0; o < copy.length; o += stride) for (let i = 0; i < d; i++) copy[o + v.offset + i] = theta[i];
    },
    gradient(g, _c, out) {
      out.fill(0);
      for (let p = 0; p < items; p++) for (let i = 0; i < d; i++) out[i] += g[p * stride + v.offset + i];
    },
    clamp() {},
  };
}

/** Every name the constructor takes for `sim`: the blocks, and the shaped ones they allow. */
function knownNames(sim: Simulator): string[] {
  const blocks = sim.params.blocks;
  const bodies = blocks.filter((x) => x.kind === 'track' && x.name.endsWith('.position')).map((x) => `${x.name.slice(0, -'.position'.length)}.waypoints`);
  const periodic = blocks.some((x) => x.kind === 'actuation' && x.rowLength > 0) ? ['actuation.periodic'] : [];
  return ['initialVelocity', ...blocks.map((x) => x.name), ...periodic, ...bodies];
}

function block(sim: Simulator, name: string): Parameter {
  const b = sim.params.blocks.find((x) => x.name === name);
  if (!b) {
    throw new RangeError(`params: '${name}' is not a parameter of this scene: allowed ${knownNames(sim).join(', ')}`);
  }
  const values = sim.params.values(0);
  const n = b.indices.length;
  const scale = Float64Array.from(b.indices, (i) => (b.kind === 'material' ? Math.abs(values[i]) || 1 : 1));
  const initial = Float64Array.from(b.indices, (i, k) => values[i] / scale[k]);
  return {
    name, size: n, initial,
    apply(theta, _s0, ctrl) { for (let k = 0; k < n; k++) ctrl[b.indices[k]] = theta[k] * scale[k]; },
    gradient(_g, gCtrl, out) { for (let k = 0; k < n; k++) out[k] = gCtrl[b.indices[k]] * scale[k]; },
    clamp(theta) {
      // open bounds (E > 0, nu < 0.5) are kept a hair inside, a hair of the bound or, at a bound of
      // zero or next to it (a stiffness's Number.MIN_VALUE, which float32 rounds to 0), of the value
      for (let k = 0; k < n; k++) {
        const lo = b.min === undefined ? -Infinity : (b.min + 1e-6 * Math.max(Math.abs(b.min), scale[k])) / scale[k];
        const hi = b.max === undefined ? Infinity : (b.max - 1e-6 * Math.abs(b.max)) / scale[k];
        theta[k] = Math.min(hi, Math.max(lo, theta[k]));
      }
    },
  };
}

/** How shaped parameters map their few numbers onto per-step rows (scene.optimize's period, harmonics, waypoints). */
export interface ShapeOptions {
  /** Steps per period (default: the scene's periodic actuation's, else a quarter of the actuation block's rows, the scene's steps). */
  period?: number;
  /** Sine and cosine pairs per channel (default: the scene's periodic actuation's, else 2). */
  harmonics?: number;
  /** The step the rollout's first step is in the periodic clock (a re-planning controller's time). */
  offset?: number;
  /** '<body>.waypoints': knots after the fixed start (default 4). */
  waypoints?: number;
  /** '<body>.waypoints': the box the body's knots stay in (default: the simulator's domain, 0 to its extent). */
  trackBounds?: { min: number[]; max: number[] };
  /** Seconds per step: '<body>.waypoints' sets a velocity track to its position track's slope. */
  dt?: number;
  /** The scene's own periodic actuation: 'actuation.periodic' starts from its coefficients (at its period and harmonics). */
  periodic?: PeriodicActuation;
}

/** The shape options of a scene: its optimize record's, its step, its periodic actuation. */
export function shapeOptions(scene: { optimize?: { period?: number; harmonics?: number; waypoints?: number; trackBounds?: { min: number[]; max: number[] } }; dt: number; actuation?: { periodic?: PeriodicActuation } }): ShapeOptions {
  const o = scene.optimize;
  return { period: o?.period, harmonics: o?.harmonics, waypoints: o?.waypoints, trackBounds: o?.trackBounds, dt: scene.dt, periodic: scene.actuation?.periodic };
}

/** 'actuation.periodic', with the clock it was made with (tunedScene writes it back as the scene's `actuation.periodic`). */
export interface PeriodicParameter extends Parameter {
  periodic: { period: number; harmonics: number; offset: number; channels: number };
}

/**
 * 'actuation.periodic': every channel's actuation a periodic function of the step, as diffmpm's
 * controllers are (src/core/periodic.ts): a few numbers per channel instead of one per step,
 * bounded by tanh to the actuation range [-1, 1]; the gradient is the per-step actuation gradient
 * through the chain rule.
 */
function periodicActuation(sim: Simulator, o: ShapeOptions): PeriodicParameter {
  const b = sim.params.blocks.find((x) => x.kind === 'actuation');
  if (!b || b.rowLength === 0) {
    // a controlled scene has channels, but its controller writes them every step
    const why = sim.params.blocks.some((x) => x.kind === 'controller') ? 'this scene\'s controller sets its actuation every step: tune \'controller\'' : 'this scene has no actuation channels';
    throw new RangeError(`'actuation.periodic': ${why}`);
  }
  const A = b.rowLength, rows = b.indices.length / A;
  const own = o.periodic, ownK = own ? (own.coefficients.length / A - 1) / 2 : undefined;
  const P = o.period ?? own?.period ?? Math.max(2, Math.round(rows / 4)), K = o.harmonics ?? ownK ?? 2;
  if (!(P > 0)) throw sceneError('optimize.period', show(P), 'is out of range', '> 0 steps');
  if (!(Number.isInteger(K) && K >= 1 && K <= MAX_HARMONICS)) throw sceneError('optimize.harmonics', show(K), 'is out of range', `an integer in [1, ${MAX_HARMONICS}]`);
  const per = 1 + 2 * K, offset = o.offset ?? 0;
  const basis = Array.from({ length: rows }, (_, t) => periodicBasis(t + offset, P, K));
  const act = (theta: Float64Array, t: number, c: number) => periodicValue(theta, basis[t], c);
  // the scene's own gait where it has one at this clock; else a small deterministic start (a zero
  // start is a saddle for symmetric robots)
  const initial = new Float64Array(A * per);
  if (own && own.period === P && ownK === K) initial.set(own.coefficients);
  else for (let i = 0; i < initial.length; i++) initial[i] = 0.1 * Math.sin(12.9898 * (i + 1)) * (i % per === 0 ? 0 : 1);
  return {
    name: 'actuation.periodic', size: A * per, initial, periodic: { period: P, harmonics: K, offset, channels: A },
    apply(theta, _items, ctrl) {
      for (let t = 0; t < rows; t++) for (let c = 0; c < A; c++) ctrl[b.indices[t * A + c]] = act(theta, t, c);
    },
    gradient(_g, gCtrl, out, theta) {
      if (!theta) throw new Error(`'actuation.periodic': its gradient depends on theta, and none was given`);
      out.fill(0);
      for (let t = 0; t < rows; t++) for (let c = 0; c < A; c++) {
        const a = act(theta, t, c), gz = gCtrl[b.indices[t * A + c]] * (1 - a * a);
        for (let j = 0; j < per; j++) out[c * per + j] += gz * basis[t][j];
      }
    },
    clamp() {},
  };
}

/**
 * '<body>.waypoints' (a collider's or gripper's '<body>.position' track): offsets from the scene's
 * own track at W knots evenly spaced over the rows, the first knot (row 0) fixed at zero so the body
 * starts where the scene puts it, linear in between. A whole track in W x DIM numbers, smooth enough
 * that a gradient step or a sample moves the body along a path rather than teleporting it on one
 * step. Where the body also has a velocity track ('<body>.velocity', MPM colliders), that track gets
 * the offset's slope added, so position and velocity stay one motion. Linear in theta. The knots
 * are clamped into a box (the domain by default), so no step carries a body out of the world.
 */
function waypoints(sim: Simulator, body: string, o: ShapeOptions): Parameter {
  const pos = sim.params.blocks.find((x) => x.name === `${body}.position` && x.kind === 'track');
  if (!pos) {
    const known = sim.params.blocks.filter((x) => x.kind === 'track' && x.name.endsWith('.position')).map((x) => `${x.name.slice(0, -'.position'.length)}.waypoints`);
    throw new RangeError(`params: '${body}.waypoints' names no body with a position track in this scene: allowed ${known.join(', ') || 'none'}`);
  }
  const vel = sim.params.blocks.find((x) => x.name === `${body}.velocity` && x.kind === 'track');
  const W = o.waypoints ?? 4, d = pos.rowLength, rows = pos.indices.length / d;
  if (!(Number.isInteger(W) && W >= 1 && W <= 1024)) throw sceneError('optimize.waypoints', show(W), 'is out of range', 'an integer in [1, 1024]');
  if (vel && !(o.dt !== undefined && o.dt > 0)) throw new RangeError(`'${body}.waypoints': its velocity track needs the step's dt (> 0), got ${o.dt}`);
  if (W > rows - 1) throw sceneError('optimize.waypoints', show(W), `is more knots than the track of '${body}' (${rows} rows) has room for after its start`, `at most ${Math.max(0, rows - 1)}`);
  // knots on whole rows, so each step's position change is its velocity times dt exactly; row t
  // lies in segment j between knots j and j + 1, at weight a of knot j + 1
  const knotRows = Array.from({ length: W + 1 }, (_, k) => Math.round((k * (rows - 1)) / W));
  const seg = Array.from({ length: rows }, (_, t) => {
    let j = 0;
    while (j < W - 1 && t >= knotRows[j + 1]) j++;
    const len = knotRows[j + 1] - knotRows[j];
    return { j, a: (t - knotRows[j]) / len, slope: 1 / (len * (o.dt ?? 1)) };
  });
  const base = sim.params.values(0);
  const p0 = Float64Array.from(pos.indices, (i) => base[i]);
  const v0 = vel ? Float64Array.from(vel.indices, (i) => base[i]) : null;
  // knot k (1..W) is theta[(k - 1) d ..]; knot 0 is zero
  const knot = (theta: Float64Array, k: number, c: number) => (k === 0 ? 0 : theta[(k - 1) * d + c]);
  const box = o.trackBounds ?? { min: sim.extent.map(() => 0), max: sim.extent };
  for (const end of ['min', 'max'] as const) {
    if (box[end].length !== d) throw sceneError(`optimize.trackBounds.${end}`, show(box[end]), 'has the wrong length', `${d} numbers, one per axis of the track of '${body}'`);
  }
  box.min.forEach((lo, c) => { if (!(lo <= box.max[c])) throw sceneError(`optimize.trackBounds.max[${c}]`, show(box.max[c]), 'is below trackBounds.min', `>= min[${c}] = ${lo}`); });
  const knotRow = (k: number) => knotRows[k];
  const addKnot = (out: Float64Array, k: number, c: number, g: number) => { if (k > 0) out[(k - 1) * d + c] += g; };
  return {
    name: `${body}.waypoints`, size: W * d, initial: new Float64Array(W * d),
    apply(theta, _items, ctrl) {
      for (let t = 0; t < rows; t++) {
        const { j, a, slope } = seg[t];
        for (let c = 0; c < d; c++) {
          const k0 = knot(theta, j, c), k1 = knot(theta, j + 1, c);
          ctrl[pos.indices[t * d + c]] = p0[t * d + c] + (1 - a) * k0 + a * k1;
          if (vel) ctrl[vel.indices[t * d + c]] = v0![t * d + c] + (k1 - k0) * slope;
        }
      }
    },
    clamp(theta) {
      for (let k = 1; k <= W; k++) for (let c = 0; c < d; c++) {
        const at = p0[knotRow(k) * d + c], i = (k - 1) * d + c;
        theta[i] = Math.min(box.max[c], Math.max(box.min[c], at + theta[i])) - at;
      }
    },
    gradient(_g, gCtrl, out) {
      out.fill(0);
      for (let t = 0; t < rows; t++) {
        const { j, a, slope } = seg[t];
        for (let c = 0; c < d; c++) {
          const gp = gCtrl[pos.indices[t * d + c]], gv = vel ? gCtrl[vel.indices[t * d + c]] * slope : 0;
          addKnot(out, j, c, (1 - a) * gp - gv);
          addKnot(out, j + 1, c, a * gp + gv);
        }
      }
    },
  };
}

/** A host program's own Parameter, checked before it is used. */
function checkParameter(p: Parameter, k: number): void {
  const what = `parameters[${k}]${typeof p?.name === 'string' ? ` ('${p.name}')` : ''}`;
  if (typeof p?.name !== 'string' || !p.name) throw new RangeError(`${what}: a Parameter needs a name`);
  if (!(Number.isInteger(p.size) && p.size >= 1)) throw new RangeError(`${what}: size = ${p.size}: allowed an integer >= 1`);
  if (!(p.initial instanceof Float64Array) || p.initial.length !== p.size) throw new RangeError(`${what}: initial must be a Float64Array of size ${p.size}`);
  for (const f of ['apply', 'gradient', 'clamp'] as const) if (typeof p[f] !== 'function') throw new RangeError(`${what}: ${f} must be a function`);
}

/** The named parameters of `sim`, concatenated into one theta. */
export class ParameterVector {
  readonly parts: Parameter[];
  readonly size: number;

  /**
   * `names` are the parameter names above, or Parameter objects of a host program's own (a basis of
   * its own for the actuation, one scale shared by several materials): apply() writes theta into the
   * initial state and the control vector, gradient() maps the rollout's gradients back.
   */
  constructor(readonly sim: Simulator, parameters: (string | Parameter)[], shape: ShapeOptions = {}) {
    if (parameters.length === 0) throw new RangeError('params: name at least one parameter');
    parameters.forEach((p, k) => { if (typeof p !== 'string') checkParameter(p, k); });
    const names = parameters.map((p) => (typeof p === 'string' ? p : p.name));
    const conflict = paramNameConflict(names);
    if (conflict) throw new RangeError(`params: ${conflict}`);
    this.parts = parameters.map((n) => (typeof n !== 'string' ? n : n === 'initialVelocity' ? initialVelocity(sim)
      : n === 'actuation.periodic' ? periodicActuation(sim, shape)
        : n.endsWith('.waypoints') ? waypoints(sim, n.slice(0, -'.waypoints'.length), shape)
          : block(sim, n)));
    this.size = this.parts.reduce((s, p) => s + p.size, 0);
  }

  initial(): Float64Array {
    const t = new Float64Array(this.size);
    this.each(t, (p, slice) => slice.set(p.initial));
    return t;
  }

  /**
   * Writes theta's controls to the simulator (sim.writeParams) and returns its initial state, for
   * `rollout.forward(params.write(theta))`: both halves of theta in one call (copy 0).
   */
  write(theta: Float64Array): Float32Array {
    const { state0, ctrl } = this.inputs(theta);
    this.sim.writeParams(ctrl);
    return state0;
  }

  /** The initial state and packed control record for theta (copy 0; the others keep the scene's initial state and the controls written last: inputsBatch). */
  inputs(theta: Float64Array): { state0: Float32Array; ctrl: Float32Array } {
    return this.inputsBatch([theta]);
  }

  /**
   * The initial state and packed control record with copy b set from thetas[b]. Copies beyond keep
   * the scene's initial state (sim.state0) but the controls the simulator holds now
   * (sim.paramValues, as last written), as do the control entries no parameter names.
   */
  inputsBatch(thetas: Float64Array[]): { state0: Float32Array; ctrl: Float32Array } {
    if (thetas.length > this.sim.batch) throw new RangeError(`${thetas.length} points for ${this.sim.batch} batch copies`);
    thetas.forEach((t, b) => this.checkTheta(t, thetas.length > 1 ? `thetas[${b}]` : 'theta'));
    const state0 = this.sim.state0.slice();
    const ctrl = this.sim.paramValues.slice();
    const copyFloats = this.sim.state.items * this.sim.state.stride;
    thetas.forEach((theta, b) => {
      const items = state0.subarray(b * copyFloats, (b + 1) * copyFloats);
      const c = this.sim.params.values(b);
      this.each(theta, (p, slice) => p.apply(slice, items, c));
      this.sim.params.pack(ctrl, b, c);
    });
    return { state0, ctrl };
  }

  /**
   * dL/dtheta of batch copy `copy` at theta (theta is needed by parameters that are not linear in it,
   * such as 'actuation.periodic'), from the gradients of the whole batch's initial state and control record.
   */
  gradient(gState: Float32Array, gCtrlPacked: Float32Array, theta?: Float64Array, copy = 0): Float64Array {
    if (!(Number.isInteger(copy) && copy >= 0 && copy < this.sim.batch)) throw new RangeError(`copy = ${copy}: allowed an integer in [0, ${this.sim.batch - 1}] (the simulator's batch copies)`);
    if (theta) this.checkTheta(theta, 'theta');
    // a dL/d(state) of another simulator (another batch) or a Float64Array would be read past its
    // end or at the wrong floats: NaNs and zeros, without a word
    const floats = this.sim.stateBytes / 4;
    if (!(gState instanceof Float32Array && gState.length === floats)) {
      const got = ArrayBuffer.isView(gState) ? `a ${gState.constructor.name} of ${(gState as Float32Array).length}` : gState === null ? 'null' : typeof gState;
      throw new RangeError(`gradient: gState is ${got}: allowed a Float32Array of ${floats} floats (dL/d(initial state) of this simulator, all ${this.sim.batch} copies: rollout.backward's buffer read back)`);
    }
    const gc = this.sim.params.unpack(gCtrlPacked, copy);
    const copyFloats = this.sim.state.items * this.sim.state.stride;
    const gs = gState.subarray(copy * copyFloats, (copy + 1) * copyFloats);
    const g = new Float64Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      p.gradient(gs, gc, g.subarray(o, o + p.size), theta?.subarray(o, o + p.size));
      o += p.size;
    }
    return g;
  }

  /** The name of the parameter theta's entry i belongs to. */
  partOf(i: number): string {
    let o = 0;
    for (const p of this.parts) { if (i < o + p.size) return p.name; o += p.size; }
    throw new RangeError(`entry ${i} of ${this.size}`);
  }

  clamp(theta: Float64Array): void {
    this.checkTheta(theta, 'theta');
    this.each(theta, (p, slice) => p.clamp(slice));
  }

  private checkTheta(theta: ArrayLike<number>, what: string): void {
    // untyped callers (a .js host program) get a message, not 'v.subarray is not a function' from deep inside
    if (!(theta instanceof Float64Array)) {
      const kind = theta === null ? 'null' : typeof theta !== 'object' ? typeof theta : Array.isArray(theta) ? 'an Array' : `a ${(theta as object).constructor?.name ?? 'object'}`;
      throw new TypeError(`${what} is ${kind}: expected a Float64Array of ${this.size} numbers (Float64Array.from(${what}))`);
    }
    if (theta.length !== this.size) {
      throw new RangeError(`${what} has ${theta.length} numbers, expected ${this.size} (${this.parts.map((p) => `${p.name}: ${p.size}`).join(', ')})`);
    }
    // a NaN would reach the initial state unchecked and show up as a blow-up at step 0
    for (let k = 0; k < theta.length; k++) {
      if (Number.isFinite(theta[k])) continue;
      let o = 0;
      const part = this.parts.find((p) => (o += p.size) > k)!;
      throw new RangeError(`${what}[${k}] = ${theta[k]} (${part.name}[${k - (o - part.size)}]) is not finite: allowed finite numbers`);
    }
  }

  /** theta's entries by parameter name, in the units of the scene, for results files. */
  named(theta: Float64Array): Record<string, number[]> {
    const r: Record<string, number[]> = {};
    const c = this.sim.params.values(0);
    let o = 0;
    for (const p of this.parts) {
      const slice = theta.subarray(o, o + p.size);
      p.apply(slice, new Float32Array(0), c);
      const b = this.sim.params.blocks.find((x) => x.name === p.name);
      // a periodic actuation is named by its coefficients ([bias, sin, cos, ...] per channel)
      r[p.name] = b ? Array.from(b.indices, (i) => c[i]) : Array.from(slice);
      o += p.size;
    }
    return r;
  }

  private each(v: Float64Array, f: (p: Parameter, slice: Float64Array) => void): void {
    let o = 0;
    for (const p of this.parts) { f(p, v.subarray(o, o + p.size)); o += p.size; }
  }
}
