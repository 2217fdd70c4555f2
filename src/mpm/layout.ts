// Packs a scene into the buffers the MPM kernels read: the SimParams uniform, the model record
// (static) and the control record (per batch copy, differentiable), by the layouts of records.ts
// (from which the WGSL declarations are generated too).
import { actuationValues } from '../core/periodic';
import type { MpmScene } from './scene';
import { forwardScales, speedLimit, type FixedPointScales } from './fixed-point';
import {
  COLLIDER_MODEL, COLLIDER_STRIDE, GROUP_CTRL, GROUP_MODEL, GROUP_STRIDE, GROUP_VEC4S, MATERIAL_CODE, PARTICLE_MODEL,
  PARTICLE_MODEL_STRIDE, SIM_PARAMS, STEP_INFO, STEP_STRIDE, TRACK_SLOT, TRACK_STRIDE, WALL_CODE, particleStride,
} from './records';

export {
  COLLIDER_STRIDE, GROUP_STRIDE, GROUP_VEC4S, NO_ACTUATOR, STEP_STRIDE, TRACK_SLOT, TRACK_STRIDE, particleStride,
} from './records';

/** Where the params uniform's copy of the group records starts, in bytes. */
export const PARAMS_GROUPS_BYTE = 4 * SIM_PARAMS.word.groups;
export const PARAMS_BYTES = SIM_PARAMS.bytes;
export const MAX_COLLIDERS = 4;

/** Floats of a collider orientation: an angle in 2D, a quaternion (x, y, z, w) in 3D. */
export function orientComps(dim: number): number {
  return dim === 2 ? 1 : 4;
}

/** Floats of a collider angular velocity: a scalar in 2D, a vector in 3D. */
export function spinComps(dim: number): number {
  return dim === 2 ? 1 : 3;
}

/** The identity orientation: angle 0, or the quaternion (0, 0, 0, 1). */
export function identityOrientation(dim: number): number[] {
  return dim === 2 ? [0] : [0, 0, 0, 1];
}

/**
 * The track slot of each component of a collider's per-node gradient (g_col_node, COL_COMPS in
 * grid_contacts.wgsl): position, velocity, orientation, angular velocity, in that order.
 */
export function colliderGradSlots(dim: number): number[] {
  const run = (slot: number, n: number) => Array.from({ length: n }, (_, i) => slot + i);
  return [...run(TRACK_SLOT.position, dim), ...run(TRACK_SLOT.velocity, dim),
    ...run(TRACK_SLOT.orientation, orientComps(dim)), ...run(TRACK_SLOT.angularVelocity, spinComps(dim))];
}

/** Positions only, [B][N][DIM], from particle records [B][N][PSTRIDE]. */
export function positionsOf(records: Float32Array, dim: number): Float32Array {
  const ps = particleStride(dim);
  const n = Math.floor(records.length / ps);
  const x = new Float32Array(n * dim);
  for (let p = 0; p < n; p++) for (let i = 0; i < dim; i++) x[p * dim + i] = records[p * ps + i];
  return x;
}

/** The lightest particle's mass (density x volume): with m_bound, the adjoint grid's headroom (fixed_point.wgsl). */
export function minParticleMass(s: MpmScene): number {
  let m = Infinity;
  for (let p = 0; p < s.particles.vol.length; p++) m = Math.min(m, s.groups[s.particles.group[p]].density * s.particles.vol[p]);
  return m;
}

export interface CtrlLayout {
  /** Floats per whole control buffer (all batch copies). */
  size: number;
  groupsOff: number;
  actOff: number;
  colOff: number;
}

export interface PackedMpm {
  dim: 2 | 3;
  n: number;
  batch: number;
  nGroups: number;
  nColliders: number;
  nAct: number;
  horizon: number;
  res: [number, number, number];
  nodes: number;
  scales: FixedPointScales;
  /** [start, count] of each group's particles (particles are contiguous by group). */
  groupRanges: [number, number][];
  params: ArrayBuffer;
  model: Float32Array;
  ctrl: Float32Array;
  ctrlLayout: CtrlLayout;
  /** Initial state for every batch copy, particle records [B][N][PSTRIDE]. */
  state0: Float32Array;
}

export function ctrlLayout(batch: number, nGroups: number, horizon: number, nAct: number, nCol: number): CtrlLayout {
  const groupsOff = 0;
  const actOff = batch * nGroups * GROUP_STRIDE;
  const colOff = actOff + batch * horizon * nAct;
  return { groupsOff, actOff, colOff, size: colOff + batch * horizon * nCol * TRACK_STRIDE };
}

/** Horizon of the control tracks: the scene's steps, or the longest track given. */
export function sceneHorizon(s: MpmScene): number {
  let h = s.steps;
  // a periodic actuation has rows for the steps
  if (s.actuation && s.actuation.channels > 0 && s.actuation.values) h = Math.max(h, s.actuation.values.length / s.actuation.channels);
  for (const c of s.colliders) h = Math.max(h, c.position.length, c.velocity.length);
  return Math.max(1, h);
}

function groupRanges(s: MpmScene): [number, number][] {
  const r: [number, number][] = s.groups.map(() => [0, 0]);
  const g = s.particles.group;
  for (let p = 0; p < g.length; p++) {
    if (r[g[p]][1] === 0) r[g[p]][0] = p;
    r[g[p]][1]++;
  }
  return r;
}

/** Whether the params uniform holds a copy of the group records (a record per group and per copy and group). */
export function groupRecordsFit(nGroups: number, batch: number): boolean {
  return (nGroups * (1 + batch) * GROUP_STRIDE) / 4 <= GROUP_VEC4S;
}

/** Byte offset in the params uniform of the copy of ctrl's group records (ctrl[0 .. B G GROUP_STRIDE]). */
export function paramsCtrlGroupsByte(nGroups: number): number {
  return PARAMS_GROUPS_BYTE + 4 * GROUP_STRIDE * nGroups;
}

/** The step table: record k is {k, min(k, horizon - 1)} at k STEP_STRIDE bytes (StepInfo). */
export function packSteps(n: number, horizon: number): Uint32Array {
  const data = new Uint32Array((n * STEP_STRIDE) / 4);
  for (let k = 0; k < n; k++) {
    const o = (k * STEP_STRIDE) / 4;
    data[o + STEP_INFO.word.step] = k;
    data[o + STEP_INFO.word.ctrl_step] = Math.min(k, horizon - 1);
  }
  return data;
}

export function packMpm(s: MpmScene, batch = 1): PackedMpm {
  const dim = s.dim;
  const n = s.particles.group.length;
  const nGroups = s.groups.length;
  const nColliders = s.colliders.length;
  const nAct = s.actuation?.channels ?? 0;
  const horizon = sceneHorizon(s);
  const res: [number, number, number] = [s.grid.res[0], s.grid.res[1], dim === 3 ? s.grid.res[2] : 1];
  const nodes = res[0] * res[1] * res[2];
  const maxDensity = Math.max(...s.groups.map((g) => g.density));
  const scales = forwardScales(maxDensity, s.grid.dx, s.dt, dim);
  const groupsOff = PARTICLE_MODEL_STRIDE * n;
  const collidersOff = groupsOff + nGroups * GROUP_STRIDE;
  const model = new Float32Array(collidersOff + nColliders * COLLIDER_STRIDE);
  // integer codes as float values (see model.wgsl)
  for (let p = 0; p < n; p++) {
    model[PARTICLE_MODEL_STRIDE * p + PARTICLE_MODEL.group] = s.particles.group[p];
    model[PARTICLE_MODEL_STRIDE * p + PARTICLE_MODEL.vol] = s.particles.vol[p];
  }
  s.groups.forEach((g, k) => {
    const o = groupsOff + k * GROUP_STRIDE;
    model[o + GROUP_MODEL.material] = MATERIAL_CODE[g.material];
    model[o + GROUP_MODEL.actuator] = g.actuator ? g.actuator.channel : -1;
    if (g.actuator) for (let i = 0; i < dim; i++) model[o + GROUP_MODEL.fiber + i] = g.actuator.fiber[i];
  });
  s.colliders.forEach((c, k) => {
    const o = collidersOff + k * COLLIDER_STRIDE;
    model[o + COLLIDER_MODEL.friction] = c.friction;
    model[o + COLLIDER_MODEL.radius] = c.radius ?? 0;
    for (let i = 0; i < dim; i++) model[o + COLLIDER_MODEL.halfExtents + i] = c.halfExtents?.[i] ?? 0;
  });
  const lay = ctrlLayout(batch, nGroups, horizon, nAct, nColliders);
  const ctrl = new Float32Array(lay.size);
  const vals = s.actuation ? actuationValues(s.actuation, horizon) : [];
  for (let b = 0; b < batch; b++) {
    s.groups.forEach((g, k) => {
      const o = lay.groupsOff + (b * nGroups + k) * GROUP_STRIDE;
      const rec = { E: g.E, nu: g.nu, density: g.density, viscosity: g.viscosity ?? 0, actStrength: g.actuator?.strength ?? 0,
        thetaC: g.plastic?.thetaC ?? 0, thetaS: g.plastic?.thetaS ?? 0 };
      for (const [field, at] of Object.entries(GROUP_CTRL)) ctrl[o + at] = rec[field as keyof typeof GROUP_CTRL];
    });
    for (let t = 0; t < horizon; t++) {
      for (let ch = 0; ch < nAct; ch++) {
        const rows = vals.length / nAct;
        ctrl[lay.actOff + (b * horizon + t) * nAct + ch] = rows > 0 ? vals[Math.min(t, rows - 1) * nAct + ch] : 0;
      }
      s.colliders.forEach((c, k) => {
        const o = lay.colOff + ((b * horizon + t) * nColliders + k) * TRACK_STRIDE;
        const row = (track: number[][]) => track[Math.min(t, track.length - 1)];
        ctrl.set(row(c.position), o + TRACK_SLOT.position);
        ctrl.set(row(c.velocity), o + TRACK_SLOT.velocity);
        ctrl.set(c.orientation ? row(c.orientation) : identityOrientation(dim), o + TRACK_SLOT.orientation);
        if (c.angularVelocity) ctrl.set(row(c.angularVelocity), o + TRACK_SLOT.angularVelocity);
      });
    }
  }
  const params = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(params);
  const f = new Float32Array(params);
  const P = SIM_PARAMS.word;
  u.set([res[0], res[1], res[2], nodes], P.res);
  const words: [Uint32Array | Float32Array, keyof typeof P, number][] = [
    [u, 'n_particles', n], [u, 'batch', batch], [u, 'n_groups', nGroups], [u, 'n_colliders', nColliders], [u, 'n_act', nAct],
    [u, 'horizon', horizon], [u, 'wall_kind', WALL_CODE[s.boundary.walls]], [u, 'bound', s.boundary.boundCells ?? 3],
    [u, 'groups_off', groupsOff], [u, 'colliders_off', collidersOff], [u, 'act_off', lay.actOff], [u, 'col_off', lay.colOff],
    [f, 'dx', s.grid.dx], [f, 'inv_dx', 1 / s.grid.dx], [f, 'dt', s.dt], [f, 'ground_mu', s.boundary.groundFriction ?? -1],
    [f, 'fp_m', scales.fpM], [f, 'fp_p', scales.fpP], [f, 'inv_fp_m', 1 / scales.fpM], [f, 'inv_fp_p', 1 / scales.fpP],
    [f, 'v_limit', speedLimit(s.grid.dx, s.dt)], [f, 'm_bound', scales.massBound], [f, 'p_bound', scales.momentumBound],
    [f, 'inv_min_mass', 1 / minParticleMass(s)],
  ];
  for (const [arr, name, v] of words) arr[P[name]] = v;
  f.set([s.gravity[0] ?? 0, s.gravity[1] ?? 0, s.gravity[2] ?? 0, 0], P.gravity);
  // the group records' copy in the uniform (load_group in model.wgsl), where it fits: the model
  // records, then ctrl's
  if (groupRecordsFit(nGroups, batch)) {
    u[P.group_recs] = 1;
    f.set(model.subarray(groupsOff, groupsOff + nGroups * GROUP_STRIDE), P.groups);
    f.set(ctrl.subarray(lay.groupsOff, lay.groupsOff + batch * nGroups * GROUP_STRIDE), P.groups + nGroups * GROUP_STRIDE);
  }
  const ps = particleStride(dim);
  const state0 = new Float32Array(batch * n * ps);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < n; p++) {
      const o = (b * n + p) * ps;
      // F = I, C = 0; a fluid's record holds F - I (material.wgsl), so 0
      const f0 = s.groups[s.particles.group[p]].material === 'fluid' ? 0 : 1;
      for (let i = 0; i < dim; i++) {
        state0[o + i] = s.particles.x[p * dim + i];
        state0[o + dim + i] = s.particles.v[p * dim + i];
        state0[o + 2 * dim + dim * dim + i * dim + i] = f0;
      }
    }
  }
  return { dim, n, batch, nGroups, nColliders, nAct, horizon, res, nodes, scales,
    groupRanges: groupRanges(s), params, model, ctrl, ctrlLayout: lay, state0 };
}
