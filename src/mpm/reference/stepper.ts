// The float64 MPM step's working memory and loops: p2g, grid update and g2p over preallocated
// typed arrays, so a rollout allocates nothing per step or per particle, and a gradient check's
// many rollouts of one scene share the buffers (setModel swaps the control between them).
// The grid is stored densely but only the nodes that particles touch are cleared, updated and
// read (the active list), so a small body on a large grid costs what the body costs.
// Every sum runs in the order of the plain stage functions in step.ts, which wrap this class.
import { colliderFrames, contactScratch, nodeContacts } from './contact';
import { kirchhoffInto, lame, materialScratch, projectionInto, type MaterialScratch } from './material';
import { NO_ACTUATOR, actValue, loadGroup, type RefGroup, type RefModel } from './ref-model';
import { particleStride } from '../layout';

/** Offset of stencil node k on axis i, [3^dim][dim]: digit i of k in base 3 (prelude.wgsl `stencil_offset`). */
const OFFSETS = [2, 3].map((dim) => Int8Array.from({ length: 3 ** dim * dim }, (_, j) => Math.floor(Math.floor(j / dim) / 3 ** (j % dim)) % 3));

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
  private readonly stamp: Uint32Array;
  private epoch = 0;
  /** Stencils of the state p2g last read (g2p reads the same positions): node, weight, dpos. */
  private readonly sNode: Int32Array;
  private readonly sW: Float64Array;
  private readonly sDpos: Float64Array;
  private groups: GroupConsts[] = [];
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
    const S = 3 ** dim, dd = dim * dim;
    this.dim = dim; this.n = n; this.nodes = nodes; this.model = model;
    this.m = new Float64Array(nodes); this.mv = new Float64Array(nodes * dim); this.v = new Float64Array(nodes * dim);
    this.active = new Int32Array(nodes); this.stamp = new Uint32Array(nodes);
    this.sNode = new Int32Array(n * S); this.sW = new Float64Array(n * S); this.sDpos = new Float64Array(n * S * dim);
    this.ws = materialScratch(dim); this.cs = contactScratch(dim);
    this.A = new Float64Array(dd); this.G = new Float64Array(dd); this.Fp = new Float64Array(dd); this.Cp = new Float64Array(dd); this.vi = new Float64Array(dim); this.coord = new Float64Array(dim);
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
  }

  /** The quadratic B-spline stencil of particle p at x (prelude.wgsl `stencil_at`, `stencil_weight`). */
  private stencil(state: Float64Array, o: number, p: number): void {
    const { dim, sNode, sW, sDpos } = this, { res, invDx, dx } = this.model;
    const off = OFFSETS[dim - 2], S = off.length / dim, s0 = p * S;
    for (let k = 0; k < S; k++) { sNode[s0 + k] = 0; sW[s0 + k] = 1; }
    let stride = 1;
    for (let i = 0; i < dim; i++) {
      const xg = state[o + i] * invDx;
      const base = Math.floor(xg - 0.5);
      const fx = xg - base; // in [0.5, 1.5)
      const w0 = 0.5 * (1.5 - fx) * (1.5 - fx), w1 = 0.75 - (fx - 1) * (fx - 1), w2 = 0.5 * (fx - 0.5) * (fx - 0.5);
      if (!(base >= 0 && base + 2 < res[i])) throw new Error(`reference stencil: x[${i}] = ${state[o + i]} leaves the grid`);
      for (let k = 0; k < S; k++) {
        const c = off[k * dim + i];
        sNode[s0 + k] += (base + c) * stride;
        sW[s0 + k] *= c === 0 ? w0 : c === 1 ? w1 : w2;
        sDpos[(s0 + k) * dim + i] = (c - fx) * dx;
      }
      stride *= res[i];
    }
  }

  /** Particle to grid: m_i = sum w m_p; mv_i = sum w (m_p v_p + A_p (x_i - x_p)), A_p = -dt V_p 4/dx^2 tau_p + m_p C_p. */
  p2g(state: Float64Array, step: number): void {
    const { dim, n, m, mv, active, stamp, sNode, sW, sDpos, A, Fp, Cp, ws } = this, model = this.model;
    const { dt, invDx } = model, ps = particleStride(dim), dd = dim * dim, S = 3 ** dim;
    const acts = this.groups.map(({ g }) => (g.actuator !== NO_ACTUATOR ? actValue(model, step, g.actuator) : 0));
    const epoch = ++this.epoch;
    let nActive = 0;
    for (let p = 0; p < n; p++) {
      const o = p * ps, oC = o + 2 * dim, oF = oC + dd;
      const gi = model.particleGroup[p], { g, mu, la } = this.groups[gi];
      const vol = model.particleVol[p], mass = g.density * vol;
      // The stress impulse rides on the affine momentum (MLS-MPM: D^-1 = 4/dx^2 for quadratic splines).
      for (let j = 0; j < dd; j++) { Fp[j] = state[oF + j]; Cp[j] = state[oC + j]; }
      kirchhoffInto(A, g, mu, la, Fp, Cp, acts[gi], ws);
      const sa = -dt * vol * 4 * invDx * invDx;
      for (let j = 0; j < dd; j++) A[j] = A[j] * sa + state[oC + j] * mass;
      this.stencil(state, o, p);
      for (let k = p * S; k < p * S + S; k++) {
        const i = sNode[k], w = sW[k];
        if (stamp[i] !== epoch) {
          stamp[i] = epoch; active[nActive++] = i; m[i] = 0;
          for (let r = 0; r < dim; r++) mv[i * dim + r] = 0;
        }
        m[i] += w * mass;
        for (let r = 0; r < dim; r++) {
          let Ad = 0;
          for (let c = 0; c < dim; c++) Ad += A[c * dim + r] * sDpos[k * dim + c];
          mv[i * dim + r] += w * (mass * state[o + dim + r] + Ad);
        }
      }
    }
    this.nActive = nActive;
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
    const { dim, n, sNode, sW, sDpos, G, Fp, ws } = this, model = this.model;
    const { dt, dx, invDx, res } = model;
    const D = 4 * invDx * invDx; // D^-1 of quadratic B-splines
    const ps = particleStride(dim), dd = dim * dim, S = 3 ** dim;
    for (let p = 0; p < n; p++) {
      const o = p * ps, oV = o + dim, oC = oV + dim, oF = oC + dd;
      if (!cached) this.stencil(state, o, p);
      for (let j = oV; j < oF; j++) out[j] = 0;
      for (let k = p * S; k < p * S + S; k++) {
        const i = sNode[k], w = sW[k];
        for (let r = 0; r < dim; r++) {
          const wv = w * gridV[i * dim + r];
          out[oV + r] += wv;
          for (let c = 0; c < dim; c++) out[oC + c * dim + r] += wv * sDpos[k * dim + c];
        }
      }
      for (let j = oC; j < oF; j++) out[j] *= D;
      let clamped = false;
      for (let d = 0; d < dim; d++) {
        const x = state[o + d] + dt * out[oV + d], lo = dx, hi = (res[d] - 2) * dx;
        if (x < lo || x > hi) clamped = true;
        out[o + d] = x < lo ? lo : x > hi ? hi : x;
      }
      if (clamped && stats) stats.clamped++;
      // F' = (I + dt C') F, then the return map
      for (let j = 0; j < dim; j++) {
        for (let i = 0; i < dim; i++) {
          let s = 0;
          for (let k = 0; k < dim; k++) s += ((k === i ? 1 : 0) * 1 + out[oC + k * dim + i] * dt) * state[oF + j * dim + k];
          G[j * dim + i] = s;
        }
      }
      projectionInto(Fp, this.groups[model.particleGroup[p]].g, G, ws);
      for (let j = 0; j < dd; j++) out[oF + j] = Fp[j];
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
