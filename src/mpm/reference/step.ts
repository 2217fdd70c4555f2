// The MLS-MPM step in float64 on the CPU, stage for stage as src/shaders/mpm/{p2g,grid_update,g2p}.wgsl
// (Hu et al. 2018; the shape of taichi's mpm88). The oracle of the GPU forward tests and of the
// finite-difference gradient checks: one batch copy, exact f64 sums (no fixed-point grid).
// State: Float64Array of particle records [n][x (dim), v (dim), C (dim^2), F (dim^2)], matrices
// column-major, the GPU record; a fluid's holds F - I there (material.wgsl: in float32, F itself
// would keep little of J - 1). The reference converts at the record (deformation, stored) and
// works with F: in float64, F keeps J - 1 to about 1e-16.
import { gridContacts } from './contact';
import { deformation, kirchhoff, projection, stored } from './material';
import { particleStride } from '../layout';
import { NO_ACTUATOR, actValue, loadGroup, type RefModel } from './ref-model';
import { axpby, ident, mul, type Mat, type Vec } from './small-matrix';

/** Grid after p2g: [nodes] mass and [nodes * dim] momentum. */
export interface RefGrid { m: Float64Array; mv: Float64Array }
/** Grid after grid_update: [nodes * (dim + 1)] velocity before contacts and mass; [nodes * dim] velocity. */
export interface RefGridV { vin: Float64Array; v: Float64Array }

/** Views (not copies) of particle p's x, v, C, F. */
export function particle(state: Float64Array, dim: number, p: number): { x: Vec; v: Vec; C: Mat; F: Mat } {
  const o = p * particleStride(dim), dd = dim * dim;
  return {
    x: state.subarray(o, o + dim), v: state.subarray(o + dim, o + 2 * dim),
    C: state.subarray(o + 2 * dim, o + 2 * dim + dd), F: state.subarray(o + 2 * dim + dd, o + 2 * dim + 2 * dd),
  };
}

/** Integer coordinates of node idx (x fastest), as params.wgsl `node_coord`. */
export function nodeCoord(model: RefModel, idx: number): number[] {
  return model.res.map((r) => { const c = idx % r; idx = Math.floor(idx / r); return c; });
}

/** Offset of stencil node k on axis i, [3^dim][dim]: digit i of k in base 3 (prelude.wgsl `stencil_offset`). */
const OFFSETS = [2, 3].map((dim) => Int8Array.from({ length: 3 ** dim * dim }, (_, j) => Math.floor(Math.floor(j / dim) / 3 ** (j % dim)) % 3));

/** A particle's quadratic B-spline stencil: node index, weight w and dpos = x_node - x_p per node. */
export interface Stencil { node: Int32Array; w: Float64Array; dpos: Float64Array }

export function newStencil(dim: number): Stencil {
  const S = 3 ** dim;
  return { node: new Int32Array(S), w: new Float64Array(S), dpos: new Float64Array(S * dim) };
}

/**
 * The 3^dim nodes around x (prelude.wgsl `stencil_at`, `stencil_weight`), written to `dst` (reused
 * across particles: small typed-array allocations dominate the reference's run time).
 */
export function stencil(model: RefModel, x: Vec, dst: Stencil = newStencil(model.dim)): Stencil {
  const { dim, res, invDx, dx } = model;
  const off = OFFSETS[dim - 2], S = off.length / dim;
  const { node, w, dpos } = dst;
  node.fill(0);
  w.fill(1);
  let stride = 1;
  for (let i = 0; i < dim; i++) {
    const xg = x[i] * invDx;
    const base = Math.floor(xg - 0.5);
    const fx = xg - base; // in [0.5, 1.5)
    const w0 = 0.5 * (1.5 - fx) * (1.5 - fx), w1 = 0.75 - (fx - 1) * (fx - 1), w2 = 0.5 * (fx - 0.5) * (fx - 0.5);
    if (!(base >= 0 && base + 2 < res[i])) throw new Error(`reference stencil: x[${i}] = ${x[i]} leaves the grid`);
    for (let k = 0; k < S; k++) {
      const o = off[k * dim + i];
      node[k] += (base + o) * stride;
      w[k] *= o === 0 ? w0 : o === 1 ? w1 : w2;
      dpos[k * dim + i] = (o - fx) * dx;
    }
    stride *= res[i];
  }
  return dst;
}

/** Particle to grid: m_i = sum w m_p; mv_i = sum w (m_p v_p + A_p (x_i - x_p)), A_p = -dt V_p 4/dx^2 tau_p + m_p C_p. */
export function p2g(model: RefModel, state: Float64Array, step: number): RefGrid {
  const { dim, dt, invDx } = model;
  const m = new Float64Array(model.nodes), mv = new Float64Array(model.nodes * dim);
  const st = newStencil(dim);
  for (let p = 0; p < model.n; p++) {
    const P = particle(state, dim, p);
    const g = loadGroup(model, model.particleGroup[p]);
    const vol = model.particleVol[p], mass = g.density * vol;
    const a = g.actuator !== NO_ACTUATOR ? actValue(model, step, g.actuator) : 0;
    // The stress impulse rides on the affine momentum (MLS-MPM: D^-1 = 4/dx^2 for quadratic splines).
    const A = axpby(kirchhoff(g, deformation(g, P.F), P.C, a), -dt * vol * 4 * invDx * invDx, P.C, mass);
    stencil(model, P.x, st);
    for (let k = 0; k < st.node.length; k++) {
      const i = st.node[k], w = st.w[k];
      m[i] += w * mass;
      for (let r = 0; r < dim; r++) {
        let Ad = 0;
        for (let c = 0; c < dim; c++) Ad += A[c * dim + r] * st.dpos[k * dim + c];
        mv[i * dim + r] += w * (mass * P.v[r] + Ad);
      }
    }
  }
  return { m, mv };
}

/** Grid update: v = mv / m + dt g on nodes with mass, then colliders and walls. */
export function gridUpdate(model: RefModel, grid: RefGrid, step: number): RefGridV {
  const { dim, dt } = model;
  const vin = new Float64Array(model.nodes * (dim + 1)), v = new Float64Array(model.nodes * dim);
  for (let i = 0; i < model.nodes; i++) {
    const m = grid.m[i];
    if (!(m > 0)) continue; // empty nodes keep v = 0 and skip contacts, as on the GPU
    let vi: Vec = new Float64Array(dim);
    for (let d = 0; d < dim; d++) vi[d] = grid.mv[i * dim + d] / m + dt * model.gravity[d];
    vin.set(vi, i * (dim + 1));
    vin[i * (dim + 1) + dim] = m;
    vi = gridContacts(model, nodeCoord(model, i), vi, step);
    v.set(vi, i * dim);
  }
  return { vin, v };
}

export interface G2pStats {
  /** Particles whose position was clamped to the interior, summed over calls. */
  clamped: number;
}

/**
 * Grid to particle: v' = sum w v_i, C' = 4/dx^2 sum w v_i (x_i - x_p)^T, x' = x + dt v' clamped to
 * [dx, (res - 2) dx], F' = projection((I + dt C') F) (stored as F' - I for a fluid).
 */
export function g2p(model: RefModel, state: Float64Array, grid: { v: Float64Array }, step: number, stats?: G2pStats): Float64Array {
  const { dim, dt, dx, invDx } = model;
  const D = 4 * invDx * invDx; // D^-1 of quadratic B-splines
  const out = new Float64Array(state.length);
  const st = newStencil(dim);
  for (let p = 0; p < model.n; p++) {
    const P = particle(state, dim, p), Q = particle(out, dim, p);
    stencil(model, P.x, st);
    for (let k = 0; k < st.node.length; k++) {
      const i = st.node[k], w = st.w[k];
      for (let r = 0; r < dim; r++) {
        const wv = w * grid.v[i * dim + r];
        Q.v[r] += wv;
        for (let c = 0; c < dim; c++) Q.C[c * dim + r] += wv * st.dpos[k * dim + c];
      }
    }
    for (let j = 0; j < dim * dim; j++) Q.C[j] *= D;
    let clamped = false;
    for (let d = 0; d < dim; d++) {
      const x = P.x[d] + dt * Q.v[d], lo = dx, hi = (model.res[d] - 2) * dx;
      if (x < lo || x > hi) clamped = true;
      Q.x[d] = x < lo ? lo : x > hi ? hi : x;
    }
    if (clamped && stats) stats.clamped++;
    const g = loadGroup(model, model.particleGroup[p]);
    Q.F.set(stored(g, projection(g, mul(axpby(ident(dim), 1, Q.C, dt), deformation(g, P.F)))));
  }
  return out;
}

/** One step: p2g, grid update, g2p. Step `step` reads control row min(step, horizon - 1). */
export function step(model: RefModel, state: Float64Array, step: number, stats?: G2pStats): Float64Array {
  const k = step; // the argument shadows this function's name
  return g2p(model, state, gridUpdate(model, p2g(model, state, k), k), k, stats);
}

/** States 0..steps (states[0] is state0) from global step 0. */
export function rollout(model: RefModel, state0: Float64Array, steps: number, stats?: G2pStats): Float64Array[] {
  const states = [state0];
  for (let k = 0; k < steps; k++) states.push(step(model, states[k], k, stats));
  return states;
}
