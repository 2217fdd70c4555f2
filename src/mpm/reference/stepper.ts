// The float64 MPM step's working memory and loops: p2g, grid update and g2p over preallocated
// typed arrays, so a rollout allocates nothing per step or per particle, and a gradient check's
// many rollouts of one scene share the buffers (setModel swaps the control between them).
// The grid is stored densely but only the nodes that particles touch are cleared, updated and
// read (the active list), so a small body on a large grid costs what the body costs.
// Every sum runs in the order of the plain matrix expressions it stands for, so the floats are those
// of a straightforward per-particle implementation, bit for bit. step.ts wraps this class.
import { colliderFrames, contactScratch, nodeContacts } from './contact';
import { kirchhoffInto, lame, materialScratch, projectionInto, type MaterialScratch } from './material';
import { MAT_FLUID, NO_ACTUATOR, actValue, loadGroup, withCtrl, type RefGroup, type RefModel } from './ref-model';
import { particleStride } from '../layout';
import { gather2, gather3, scatter2, scatter3, stencilAt, stencils, type ScatterGrid, type Stencils } from './transfer';

/** Counts a rollout reports. */
export interface G2pStats {
  /** Particles whose position was clamped to the interior, summed over calls. */
  clamped: number;
}

interface GroupConsts { g: RefGroup; mu: number; la: number }

export class RefStepper {
  readonly dim: number;
  readonly n: number;
  readonly nodes: number;
  model: RefModel;
  /** [nodes] mass and [nodes * dim] momentum after p2g, valid on the active nodes. */
  readonly m: Float64Array;
  readonly mv: Float64Array;
  /** [nodes * dim] velocity after the grid update, valid on the active nodes. */
  readonly v: Float64Array;
  /** The nodes of the last p2g's stencils, in first-touch order: active[0 .. nActive). */
  readonly active: Int32Array;
  nActive = 0;
  private readonly grid: ScatterGrid;
  /** Stencils of the state p2g last read (g2p reads the same positions). */
  private readonly st: Stencils;
  private groups: GroupConsts[] = [];
  /** Actuation value of each group at the step p2g runs. */
  private acts = new Float64Array(0);
  private readonly ws: MaterialScratch;
  private readonly cs: ReturnType<typeof contactScratch>;
  private readonly A: Float64Array;
  private readonly G: Float64Array;
  /** A particle's F and C, copied out of the state (views would allocate per particle). */
  private readonly Fp: Float64Array;
  private readonly Cp: Float64Array;
  private readonly vi: Float64Array;
  private readonly coord: Float64Array;
  private readonly bufs: [Float64Array, Float64Array];

  constructor(model: RefModel) {
    const { dim, n, nodes } = model;
    const dd = dim * dim;
    this.dim = dim; this.n = n; this.nodes = nodes; this.model = model;
    this.m = new Float64Array(nodes); this.mv = new Float64Array(nodes * dim); this.v = new Float64Array(nodes * dim);
    this.active = new Int32Array(nodes);
    this.grid = { m: this.m, mv: this.mv, stamp: new Uint32Array(nodes), epoch: 0, active: this.active, nActive: 0 };
    this.st = stencils(n, dim);
    this.ws = materialScratch(dim); this.cs = contactScratch(dim);
    this.A = new Float64Array(dd); this.G = new Float64Array(dd);
    this.Fp = new Float64Array(dd); this.Cp = new Float64Array(dd);
    this.vi = new Float64Array(dim); this.coord = new Float64Array(dim);
    const len = n * particleStride(dim);
    this.bufs = [new Float64Array(len), new Float64Array(len)];
    this.setModel(model);
  }

  /** Another model of the same scene shape (e.g. a perturbed control). */
  setModel(model: RefModel): void {
    if (model.dim !== this.dim || model.n !== this.n || model.nodes !== this.nodes) {
      throw new Error(`RefStepper.setModel: the model has dim ${model.dim}, ${model.n} particles, ${model.nodes} nodes; the stepper ${this.dim}, ${this.n}, ${this.nodes}`);
    }
    this.model = model;
    this.groups = Array.from({ length: model.nGroups }, (_, k) => {
      const g = loadGroup(model, k);
      const [mu, la] = lame(g.E, g.nu);
      return { g, mu, la };
    });
    this.acts = new Float64Array(model.nGroups);
  }

  /** Particle to grid: m_i = sum w m_p; mv_i = sum w (m_p v_p + A_p (x_i - x_p)), A_p = -dt V_p 4/dx^2 tau_p + m_p C_p. */
  p2g(state: Float64Array, step: number): void {
    const { dim, n, grid, st, A, Fp, Cp, ws, acts } = this, model = this.model;
    const { dt, dx, invDx, res } = model, ps = particleStride(dim), dd = dim * dim;
    for (let k = 0; k < this.groups.length; k++) {
      const g = this.groups[k].g;
      acts[k] = g.actuator !== NO_ACTUATOR ? actValue(model, step, g.actuator) : 0;
    }
    grid.epoch++;
    grid.nActive = 0;
    for (let p = 0; p < n; p++) {
      const o = p * ps, oC = o + 2 * dim, oF = oC + dd;
      const gi = model.particleGroup[p], gc = this.groups[gi];
      const vol = model.particleVol[p], mass = gc.g.density * vol;
      // The stress impulse rides on the affine momentum (MLS-MPM: D^-1 = 4/dx^2 for quadratic splines).
      // a fluid's record holds F - I (material.wgsl); the reference works with F
      const fi = gc.g.material === MAT_FLUID ? 1 : 0;
      for (let j = 0; j < dd; j++) { Fp[j] = state[oF + j] + (j % (dim + 1) === 0 ? fi : 0); Cp[j] = state[oC + j]; }
      kirchhoffInto(A, gc.g, gc.mu, gc.la, Fp, Cp, acts[gi], ws);
      const sa = -dt * vol * 4 * invDx * invDx;
      for (let j = 0; j < dd; j++) A[j] = A[j] * sa + Cp[j] * mass;
      stencilAt(st, p, state, o, dim, res, invDx, dx);
      if (dim === 2) scatter2(grid, st, p, res[0], mass, state, o + dim, A);
      else scatter3(grid, st, p, res[0], res[1], mass, state, o + dim, A);
    }
    this.nActive = grid.nActive;
  }

  /**
   * Grid update on the active nodes: v = mv / m + dt g where there is mass, then colliders and
   * walls; vin (optional, [nodes * (dim + 1)]) receives the velocity before contacts and the mass.
   */
  gridUpdate(step: number, vin?: Float64Array): void {
    const { dim, m, mv, v, active, vi, coord, cs } = this, model = this.model;
    const { dt, gravity, res } = model;
    const frames = colliderFrames(model, step);
    for (let a = 0; a < this.nActive; a++) {
      const i = active[a], mass = m[i];
      if (!(mass > 0)) { for (let d = 0; d < dim; d++) v[i * dim + d] = 0; continue; } // empty: v = 0, no contacts, as on the GPU
      for (let d = 0; d < dim; d++) vi[d] = mv[i * dim + d] / mass + dt * gravity[d];
      if (vin) { for (let d = 0; d < dim; d++) vin[i * (dim + 1) + d] = vi[d]; vin[i * (dim + 1) + dim] = mass; }
      let idx = i;
      for (let d = 0; d < dim; d++) { coord[d] = idx % res[d]; idx = Math.floor(idx / res[d]); }
      nodeContacts(model, frames, coord, vi, cs);
      for (let d = 0; d < dim; d++) v[i * dim + d] = vi[d];
    }
  }

  /**
   * Grid to particle: v' = sum w v_i, C' = 4/dx^2 sum w v_i (x_i - x_p)^T, x' = x + dt v' clamped to
   * [dx, (res - 2) dx], F' = projection((I + dt C') F). Reads gridV ([nodes * dim], this.v by
   * default) at the stencils p2g computed for `state` (fresh stencils when `cached` is false).
   */
  g2p(state: Float64Array, out: Float64Array, step: number, stats?: G2pStats, gridV: Float64Array = this.v, cached = true): void {
    const { dim, n, st, G, Fp, ws } = this, model = this.model;
    const { dt, dx, invDx, res } = model;
    const D = 4 * invDx * invDx; // D^-1 of quadratic B-splines
    const ps = particleStride(dim), dd = dim * dim;
    for (let p = 0; p < n; p++) {
      const o = p * ps, oV = o + dim, oC = oV + dim, oF = oC + dd;
      if (!cached) stencilAt(st, p, state, o, dim, res, invDx, dx);
      if (dim === 2) gather2(gridV, st, p, res[0], out, oV);
      else gather3(gridV, st, p, res[0], res[1], out, oV);
      for (let j = oC; j < oF; j++) out[j] *= D;
      let clamped = false;
      for (let d = 0; d < dim; d++) {
        const x = state[o + d] + dt * out[oV + d], lo = dx, hi = (res[d] - 2) * dx;
        if (x < lo || x > hi) clamped = true;
        out[o + d] = x < lo ? lo : x > hi ? hi : x;
      }
      if (clamped && stats) stats.clamped++;
      // F' = (I + dt C') F, then the return map; a fluid's record holds F - I (material.wgsl)
      const g = this.groups[model.particleGroup[p]].g;
      const fi = g.material === MAT_FLUID ? 1 : 0;
      for (let j = 0; j < dim; j++) {
        for (let i = 0; i < dim; i++) {
          let s = 0;
          for (let k = 0; k < dim; k++) s += ((k === i ? 1 : 0) * 1 + out[oC + k * dim + i] * dt) * (state[oF + j * dim + k] + (j === k ? fi : 0));
          G[j * dim + i] = s;
        }
      }
      projectionInto(Fp, g, G, ws);
      for (let j = 0; j < dd; j++) out[oF + j] = Fp[j] - (j % (dim + 1) === 0 ? fi : 0);
    }
  }

  /** One step from `state` into `out` (distinct arrays). */
  step(state: Float64Array, out: Float64Array, step: number, stats?: G2pStats): void {
    this.p2g(state, step);
    this.gridUpdate(step);
    this.g2p(state, out, step, stats);
  }

  /**
   * The state after `steps` steps from state0 (global steps 0 .. steps - 1): one of the stepper's
   * own buffers, valid until its next rollout. state0 is not written.
   */
  rollout(state0: Float64Array, steps: number, stats?: G2pStats): Float64Array {
    let cur = state0;
    for (let k = 0; k < steps; k++) {
      const out = this.bufs[k & 1];
      this.step(cur, out, k, stats);
      cur = out;
    }
    return steps > 0 ? cur : Float64Array.from(state0);
  }
}

/**
 * The reference's derivative carried across steps first .. first + count - 1 along given states
 * (`states`: count states of `delta.length` floats, typically the GPU's own float32 trajectory):
 * at each, a central difference of one float64 step around that state, along the tangent carried so
 * far and the control direction dCtrl, with step h. Returns the tangent after the last of them.
 * Linearised at the GPU's states rather than at the reference's own, it is what an exact adjoint of
 * the GPU's rollout must agree with (src/core/gradcheck-judge.ts, 'path').
 */
export function tangentAlong(stepper: RefStepper, model: RefModel, states: Float32Array | Float64Array, first: number, delta: Float64Array,
  ctrl: Float64Array, dCtrl: Float64Array, h: number): Float64Array {
  const n = delta.length, count = states.length / n;
  const plus = withCtrl(model, ctrl.map((c, i) => c + h * dCtrl[i]));
  const minus = withCtrl(model, ctrl.map((c, i) => c - h * dCtrl[i]));
  const a = new Float64Array(n), b = new Float64Array(n), pa = new Float64Array(n), pb = new Float64Array(n);
  let d = Float64Array.from(delta);
  for (let k = 0; k < count; k++) {
    const base = states.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) { a[i] = base[i] + h * d[i]; b[i] = base[i] - h * d[i]; }
    stepper.setModel(plus);
    stepper.step(a, pa, first + k);
    stepper.setModel(minus);
    stepper.step(b, pb, first + k);
    d = pa.map((x, i) => (x - pb[i]) / (2 * h));
  }
  return d;
}
