// The model and control that the float64 reference reads: the CPU twin of params.wgsl and
// model.wgsl. Built from one batch copy of a PackedMpm, so the reference sees exactly the f32
// values the GPU reads (widened to f64); all arithmetic after that is f64. The control record is a
// Float64Array with the batch-1 layout of the GPU ctrl buffer (groups, actuation, collider tracks),
// so finite differences can perturb any entry (E, nu, actuation, a collider's track)
// and line it up with the GPU's ctrl gradient.
import type { MpmScene } from '../scene';
import { ctrlLayout, orientComps, packMpm, spinComps, type CtrlLayout, type PackedMpm } from '../layout';
import {
  COLLIDER_MODEL, COLLIDER_STRIDE, GROUP_CTRL, GROUP_MODEL, GROUP_STRIDE, MATERIAL_CODE, NO_ACTUATOR, PARTICLE_MODEL,
  PARTICLE_MODEL_STRIDE, SIM_PARAMS, TRACK_SLOT, TRACK_STRIDE, WALL_CODE, particleStride,
} from '../records';
import type { Dim, Vec } from './small-matrix';

export { NO_ACTUATOR };
export const MAT_FLUID = MATERIAL_CODE.fluid;
export const MAT_ELASTIC = MATERIAL_CODE.elastic;
export const MAT_PLASTIC = MATERIAL_CODE.elastoplastic;
export const WALL_STICKY = WALL_CODE.sticky;
export const WALL_SLIP = WALL_CODE.slip;
export const WALL_SEPARATE = WALL_CODE.separate;

/** Offsets of the group fields inside a ctrl group record (records.ts, model.wgsl `load_group`). */
export const GroupField = GROUP_CTRL;
export type GroupFieldName = keyof typeof GroupField;

export interface RefModel {
  dim: Dim;
  /** Particles (of this batch copy). */
  n: number;
  /** Grid nodes per axis, length dim. */
  res: number[];
  /** Grid nodes in all. */
  nodes: number;
  dx: number;
  /** The f32 inverse the GPU reads (not exactly 1 / dx). */
  invDx: number;
  dt: number;
  /** [dim] acceleration. */
  gravity: Vec;
  /** WALL_STICKY | WALL_SLIP | WALL_SEPARATE */
  wallKind: number;
  /** Wall thickness in cells. */
  bound: number;
  /** Ground friction (axis 1, low side); < 0: the ground is a plain wall. */
  groundMu: number;
  nGroups: number;
  nColliders: number;
  nAct: number;
  /** Control steps in the tracks; step k reads row min(k, horizon - 1). */
  horizon: number;
  /** [n] group index per particle. */
  particleGroup: Uint32Array;
  /** [n] particle volume. */
  particleVol: Float64Array;
  /** [nGroups] MAT_* code. */
  groupMaterial: Uint32Array;
  /** [nGroups] actuation channel, or NO_ACTUATOR. */
  groupActuator: Uint32Array;
  /** [nGroups * dim] unit fiber direction. */
  groupFiber: Float64Array;
  /** [nColliders] Coulomb friction. */
  colliderFriction: Float64Array;
  /** [nColliders] rounding radius. */
  colliderRadius: Float64Array;
  /** [nColliders * dim] half extents of the core box. */
  colliderHalf: Float64Array;
  /** Control of this copy, batch-1 layout of the GPU ctrl buffer; replace it to perturb. */
  ctrl: Float64Array;
  ctrlLayout: CtrlLayout;
}

/** Reference model of batch copy `b` of a packed scene. */
export function refModel(packed: PackedMpm, b = 0): RefModel {
  const { dim, n, nGroups, nColliders, nAct, horizon } = packed;
  const u = new Uint32Array(packed.params);
  const f = new Float32Array(packed.params);
  const P = SIM_PARAMS.word;
  const groupsOff = u[P.groups_off], collidersOff = u[P.colliders_off];
  const m = packed.model;
  const particle = (p: number, field: keyof typeof PARTICLE_MODEL) => m[p * PARTICLE_MODEL_STRIDE + PARTICLE_MODEL[field]];
  const group = (g: number, field: 'material' | 'actuator') => m[groupsOff + g * GROUP_STRIDE + GROUP_MODEL[field]];
  const fromModel = (off: number, stride: number, count: number, width: number) => {
    const r = new Float64Array(count * width);
    for (let k = 0; k < count; k++) for (let i = 0; i < width; i++) r[k * width + i] = m[off + k * stride + i];
    return r;
  };
  return {
    dim, n, nodes: packed.nodes, res: packed.res.slice(0, dim),
    dx: f[P.dx], invDx: f[P.inv_dx], dt: f[P.dt], groundMu: f[P.ground_mu],
    gravity: Float64Array.from(f.subarray(P.gravity, P.gravity + dim)),
    wallKind: u[P.wall_kind], bound: u[P.bound],
    nGroups, nColliders, nAct, horizon,
    particleGroup: Uint32Array.from({ length: n }, (_, p) => particle(p, 'group')),
    particleVol: Float64Array.from({ length: n }, (_, p) => particle(p, 'vol')),
    groupMaterial: Uint32Array.from({ length: nGroups }, (_, g) => group(g, 'material')),
    groupActuator: Uint32Array.from({ length: nGroups }, (_, g) => (group(g, 'actuator') >= 0 ? group(g, 'actuator') : NO_ACTUATOR)),
    groupFiber: fromModel(groupsOff + GROUP_MODEL.fiber, GROUP_STRIDE, nGroups, dim),
    colliderFriction: fromModel(collidersOff + COLLIDER_MODEL.friction, COLLIDER_STRIDE, nColliders, 1),
    colliderRadius: fromModel(collidersOff + COLLIDER_MODEL.radius, COLLIDER_STRIDE, nColliders, 1),
    colliderHalf: fromModel(collidersOff + COLLIDER_MODEL.halfExtents, COLLIDER_STRIDE, nColliders, dim),
    ctrl: sliceCtrl(packed, b),
    ctrlLayout: ctrlLayout(1, nGroups, horizon, nAct, nColliders),
  };
}

/** Reference model straight from a scene (packed with one batch copy). */
export function refModelFromScene(scene: MpmScene): RefModel {
  return refModel(packMpm(scene, 1));
}

/** The same model with another control record (e.g. a finite-difference perturbation). */
export function withCtrl(model: RefModel, ctrl: Float64Array): RefModel {
  if (ctrl.length !== model.ctrl.length) {
    throw new Error(`withCtrl: ctrl has ${ctrl.length} entries, the model needs ${model.ctrl.length}`);
  }
  return { ...model, ctrl };
}

/** Control of batch copy b in the batch-1 layout: its group, actuation and track slices, concatenated. */
export function sliceCtrl(packed: PackedMpm, b: number): Float64Array {
  const { nGroups, horizon, nAct, nColliders, ctrlLayout: lay } = packed;
  const g = nGroups * GROUP_STRIDE, a = horizon * nAct, t = horizon * nColliders * TRACK_STRIDE;
  const r = new Float64Array(g + a + t);
  r.set(packed.ctrl.subarray(lay.groupsOff + b * g, lay.groupsOff + (b + 1) * g), 0);
  r.set(packed.ctrl.subarray(lay.actOff + b * a, lay.actOff + (b + 1) * a), g);
  r.set(packed.ctrl.subarray(lay.colOff + b * t, lay.colOff + (b + 1) * t), g + a);
  return r;
}

/** Index in the full packed ctrl buffer of entry i of batch copy b's reference ctrl. */
export function packedCtrlIndex(packed: PackedMpm, b: number, i: number): number {
  const { nGroups, horizon, nAct, nColliders, ctrlLayout: lay } = packed;
  const g = nGroups * GROUP_STRIDE, a = horizon * nAct;
  if (i < g) return lay.groupsOff + b * g + i;
  if (i < g + a) return lay.actOff + b * a + (i - g);
  return lay.colOff + b * horizon * nColliders * TRACK_STRIDE + (i - g - a);
}

/** Initial state of batch copy b: particle records [n][x, v, C, F] in f64. */
export function refState0(packed: PackedMpm, b = 0): Float64Array {
  const len = packed.n * particleStride(packed.dim);
  return Float64Array.from(packed.state0.subarray(b * len, (b + 1) * len));
}

/** Row of the control tracks that global step `step` reads (StepInfo.ctrl_step). */
export function ctrlStep(model: RefModel, step: number): number {
  return Math.min(step, model.horizon - 1);
}

export function ctrlGroupIndex(model: RefModel, g: number, field: GroupFieldName): number {
  return model.ctrlLayout.groupsOff + g * GROUP_STRIDE + GroupField[field];
}

export function ctrlActIndex(model: RefModel, step: number, ch: number): number {
  return model.ctrlLayout.actOff + ctrlStep(model, step) * model.nAct + ch;
}

/** Start of collider k's track record at `step` (parts at TRACK_SLOT). */
export function ctrlTrackIndex(model: RefModel, step: number, k: number): number {
  return model.ctrlLayout.colOff + (ctrlStep(model, step) * model.nColliders + k) * TRACK_STRIDE;
}

export interface RefGroup {
  material: number;
  actuator: number;
  fiber: Vec;
  E: number;
  nu: number;
  density: number;
  viscosity: number;
  actStrength: number;
  thetaC: number;
  thetaS: number;
}

export function loadGroup(model: RefModel, g: number): RefGroup {
  const c = model.ctrl, d = model.dim;
  const at = (field: GroupFieldName) => c[ctrlGroupIndex(model, g, field)];
  return {
    material: model.groupMaterial[g], actuator: model.groupActuator[g],
    fiber: model.groupFiber.subarray(g * d, g * d + d),
    E: at('E'), nu: at('nu'), density: at('density'), viscosity: at('viscosity'),
    actStrength: at('actStrength'), thetaC: at('thetaC'), thetaS: at('thetaS'),
  };
}

export function actValue(model: RefModel, step: number, ch: number): number {
  return model.ctrl[ctrlActIndex(model, step, ch)];
}

/** A collider at one step: shape, position c, velocity u, orientation o and angular velocity w (raw track values). */
export interface RefCollider { friction: number; r: number; h: Vec; c: Vec; u: Vec; o: Vec; w: Vec }

export function loadCollider(model: RefModel, k: number, step: number): RefCollider {
  const d = model.dim, t = ctrlTrackIndex(model, step, k);
  const at = (slot: number, n: number) => model.ctrl.slice(t + slot, t + slot + n);
  return {
    friction: model.colliderFriction[k], r: model.colliderRadius[k],
    h: model.colliderHalf.subarray(k * d, k * d + d),
    c: at(TRACK_SLOT.position, d), u: at(TRACK_SLOT.velocity, d),
    o: at(TRACK_SLOT.orientation, orientComps(d)), w: at(TRACK_SLOT.angularVelocity, spinComps(d)),
  };
}
