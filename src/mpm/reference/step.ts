// The MLS-MPM step in float64 on the CPU, stage for stage as src/shaders/mpm/{p2g,grid_update,g2p}.wgsl
// (Hu et al. 2018; the shape of taichi's mpm88). The oracle of the GPU forward tests and of the
// finite-difference gradient checks: one batch copy, exact f64 sums (no fixed-point grid).
// State: Float64Array of particle records [n][x (dim), v (dim), C (dim^2), F (dim^2)], matrices
// column-major, the GPU record. The loops live in RefStepper (stepper.ts); these functions run one
// stage each on dense grids, for tests that feed or read a stage alone. Rollouts that repeat
// should hold a RefStepper instead (it reuses its buffers).
import { particleStride } from '../layout';
import { RefStepper, type G2pStats } from './stepper';
import type { RefModel } from './ref-model';
import type { Mat, Vec } from './small-matrix';

export { RefStepper, type G2pStats };

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

/** Particle to grid: m_i = sum w m_p; mv_i = sum w (m_p v_p + A_p (x_i - x_p)), A_p = -dt V_p 4/dx^2 tau_p + m_p C_p. */
export function p2g(model: RefModel, state: Float64Array, step: number): RefGrid {
  const s = new RefStepper(model);
  s.p2g(state, step);
  const m = new Float64Array(model.nodes), mv = new Float64Array(model.nodes * model.dim);
  for (let a = 0; a < s.nActive; a++) {
    const i = s.active[a];
    m[i] = s.m[i];
    for (let d = 0; d < model.dim; d++) mv[i * model.dim + d] = s.mv[i * model.dim + d];
  }
  return { m, mv };
}

/** Grid update: v = mv / m + dt g on nodes with mass, then colliders and walls. */
export function gridUpdate(model: RefModel, grid: RefGrid, step: number): RefGridV {
  const s = new RefStepper(model);
  s.m.set(grid.m);
  s.mv.set(grid.mv);
  // every node with mass, whatever put it there (the stepper's own p2g lists the ones it touched)
  for (let i = 0; i < model.nodes; i++) if (grid.m[i] > 0) s.active[s.nActive++] = i;
  const vin = new Float64Array(model.nodes * (model.dim + 1));
  s.gridUpdate(step, vin);
  return { vin, v: Float64Array.from(s.v) };
}

/**
 * Grid to particle: v' = sum w v_i, C' = 4/dx^2 sum w v_i (x_i - x_p)^T, x' = x + dt v' clamped to
 * [dx, (res - 2) dx], F' = projection((I + dt C') F).
 */
export function g2p(model: RefModel, state: Float64Array, grid: { v: Float64Array }, step: number, stats?: G2pStats): Float64Array {
  const out = new Float64Array(state.length);
  new RefStepper(model).g2p(state, out, step, stats, grid.v, false);
  return out;
}

/** One step: p2g, grid update, g2p. Step `step` reads control row min(step, horizon - 1). */
export function step(model: RefModel, state: Float64Array, step: number, stats?: G2pStats): Float64Array {
  const out = new Float64Array(state.length);
  new RefStepper(model).step(state, out, step, stats);
  return out;
}

/** States 0..steps (states[0] is state0) from global step 0. */
export function rollout(model: RefModel, state0: Float64Array, steps: number, stats?: G2pStats): Float64Array[] {
  const s = new RefStepper(model);
  const states = [state0];
  for (let k = 0; k < steps; k++) {
    states.push(new Float64Array(state0.length));
    s.step(states[k], states[k + 1], k, stats);
  }
  return states;
}
