// The layouts of what the MPM kernels read, each written once, here: the SimParams and StepInfo
// uniforms, the fields of the model and control records, the codes stored in them and the
// particle kernels' workgroup size. packMpm (layout.ts) writes and the float64 reference
// (reference/ref-model.ts) reads by these names, and the WGSL declarations are generated from the
// same tables (recordsWgsl, put ahead of every MPM kernel by composeMpm), so no offset is kept in
// step by hand. tests/mpm/records.test.ts reads every field back on the GPU.

/** Workgroup size of the particle and scatter kernels (their dispatch rows: params.wgsl). */
export const PARTICLE_WG = 64;

/** vec4s of the params uniform's copy of the group records (see SimParams.groups). */
export const GROUP_VEC4S = 2048;

type Scalar = 'u32' | 'f32';
type FieldType = Scalar | 'vec4<u32>' | 'vec4<f32>';
/** A uniform struct's member: its WGSL type (an array of `array` of them where given) and what it holds. */
export interface FieldSpec { readonly name: string; readonly type: FieldType; readonly array?: { length: number; wgsl: string }; readonly doc: string }

export interface StructLayout<N extends string> {
  /** Offset of each member in 4-byte words. */
  word: Record<N, number>;
  /** Size in bytes, rounded up to the struct's alignment as WGSL's uniform layout does. */
  bytes: number;
  /** The WGSL declaration. */
  wgsl: string;
  /** The members, in order. */
  fields: readonly FieldSpec[];
}

/** Offsets by WGSL's layout rules for the members used here: scalars align to 4 bytes, vec4s and arrays of them to 16. */
function structLayout<const F extends readonly FieldSpec[]>(name: string, doc: string, fields: F): StructLayout<F[number]['name']> {
  const word = {} as Record<string, number>;
  let w = 0;
  let align = 1;
  const lines = [`// ${doc}`, `struct ${name} {`];
  for (const f of fields) {
    const a = f.type.startsWith('vec4') ? 4 : 1;
    align = Math.max(align, a);
    w = Math.ceil(w / a) * a;
    word[f.name] = w;
    w += a * (f.array?.length ?? 1);
    const type = f.array ? `array<${f.type}, ${f.array.wgsl}>` : f.type;
    lines.push(`  ${f.name}: ${type}, // ${f.doc}`);
  }
  lines.push('}');
  return { word, bytes: 4 * Math.ceil(w / align) * align, wgsl: lines.join('\n'), fields };
}

/** The uniform every MPM kernel reads at binding 0 (params.wgsl). */
export const SIM_PARAMS = structLayout('SimParams', 'Uniforms shared by every MPM kernel (binding 0); written by packMpm.', [
  { name: 'res', type: 'vec4<u32>', doc: 'grid nodes per axis (x, y, z; z = 1 in 2D), w = nodes per batch copy' },
  { name: 'n_particles', type: 'u32', doc: 'particles per batch copy' },
  { name: 'batch', type: 'u32', doc: 'batch copies B' },
  { name: 'n_groups', type: 'u32', doc: 'groups' },
  { name: 'n_colliders', type: 'u32', doc: 'colliders' },
  { name: 'n_act', type: 'u32', doc: 'actuation channels' },
  { name: 'horizon', type: 'u32', doc: 'control steps stored in ctrl (act and collider tracks)' },
  { name: 'wall_kind', type: 'u32', doc: 'WALL_STICKY, WALL_SLIP or WALL_SEPARATE' },
  { name: 'bound', type: 'u32', doc: 'wall thickness in cells' },
  { name: 'groups_off', type: 'u32', doc: 'offset of the group records in model (floats)' },
  { name: 'colliders_off', type: 'u32', doc: 'offset of the collider records in model' },
  { name: 'act_off', type: 'u32', doc: 'offset of the actuation in ctrl' },
  { name: 'col_off', type: 'u32', doc: 'offset of the collider tracks in ctrl' },
  { name: 'gravity', type: 'vec4<f32>', doc: 'acceleration (DIM components used)' },
  { name: 'dx', type: 'f32', doc: 'grid spacing' },
  { name: 'inv_dx', type: 'f32', doc: '1 / dx' },
  { name: 'dt', type: 'f32', doc: 'time step' },
  { name: 'ground_mu', type: 'f32', doc: 'Coulomb friction of the ground (axis 1, low side); < 0: a plain wall' },
  { name: 'fp_m', type: 'f32', doc: 'fixed-point scale of grid mass' },
  { name: 'fp_p', type: 'f32', doc: 'fixed-point scale of grid momentum' },
  { name: 'inv_fp_m', type: 'f32', doc: '1 / fp_m' },
  { name: 'inv_fp_p', type: 'f32', doc: '1 / fp_p' },
  { name: 'v_limit', type: 'f32', doc: '|v| above this marks a blow-up (reported with the step)' },
  { name: 'm_bound', type: 'f32', doc: 'node mass above this is outside the fixed-point range (a blow-up)' },
  { name: 'p_bound', type: 'f32', doc: 'likewise for each node momentum component' },
  { name: 'inv_min_mass', type: 'f32', doc: '1 / the lightest particle\'s mass (the adjoint grid\'s headroom)' },
  { name: 'group_recs', type: 'u32', doc: '1: the group records are in `groups` (load_group, model.wgsl), 0: not' },
  // Per group its model record (GROUP_STRIDE floats, two vec4s), then per batch copy and group its
  // ctrl record (likewise): a copy of the storage records, where they fit (groupRecordsFit).
  { name: 'groups', type: 'vec4<f32>', array: { length: GROUP_VEC4S, wgsl: 'GROUP_VEC4S' }, doc: 'copies of the group records (model, then ctrl per copy), where they fit' },
] as const);

/** One record per step at a STEP_STRIDE stride, bound with a dynamic offset (binding 1). */
export const STEP_INFO = structLayout('StepInfo', 'One record per step at a STEP_STRIDE-byte stride, bound with a dynamic offset (binding 1).', [
  { name: 'step', type: 'u32', doc: 'global step index of the rollout' },
  { name: 'ctrl_step', type: 'u32', doc: 'index into the control tracks, min(step, horizon - 1)' },
] as const);
export const STEP_STRIDE = 256; // the dynamic uniform offset alignment

/** Floats of a group's record in model and in ctrl, and of a collider's in model. */
export const GROUP_STRIDE = 8;
export const COLLIDER_STRIDE = 8;
/** Floats per collider per step in the control record. */
export const TRACK_STRIDE = 16;
/** Floats per particle in model. */
export const PARTICLE_MODEL_STRIDE = 2;

// Fields of the flat f32 records, as offsets in floats (a vector's first component).
/** model, per particle (integer codes stored as float values: model.wgsl). */
export const PARTICLE_MODEL = { group: 0, vol: 1 } as const;
/** model, per group: material code, actuation channel (-1: none), fiber direction (DIM). */
export const GROUP_MODEL = { material: 0, actuator: 1, fiber: 2 } as const;
/** ctrl, per batch copy and group: the differentiable parameters. */
export const GROUP_CTRL = { E: 0, nu: 1, density: 2, viscosity: 3, actStrength: 4, thetaC: 5, thetaS: 6 } as const;
/** model, per collider: friction, rounding radius, half extents of the core box (DIM). */
export const COLLIDER_MODEL = { friction: 0, radius: 1, halfExtents: 2 } as const;
/** ctrl, per batch copy, step and collider: where each part of the track starts (DIM, DIM, orientation, angular velocity). */
export const TRACK_SLOT = { position: 0, velocity: 4, orientation: 8, angularVelocity: 12 } as const;

/** Codes stored in the records and params, by their WGSL names. */
export const MATERIAL_CODE = { fluid: 0, elastic: 1, elastoplastic: 2 } as const;
export const WALL_CODE = { sticky: 0, slip: 1, separate: 2 } as const;
export const NO_ACTUATOR = 0xffffffff;

const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
const u32 = (name: string, v: number) => `const ${name}: u32 = ${v === NO_ACTUATOR ? '0xffffffff' : v}u;`;
const fields = (prefix: string, rec: Record<string, number>) => Object.entries(rec).map(([k, v]) => u32(`${prefix}_${snake(k)}`, v));

/** Floats of a particle record (x, v, C, F) and words per node of p2g's accumulator, for `dim`. */
export function particleStride(dim: number): number {
  return 2 * dim + 2 * dim * dim;
}
export function accStride(dim: number): number {
  return 2 * dim + 1;
}
/**
 * Words of p2g's accumulator per node in all: a step adjoint adds dL/dv (2 DIM words per node, its
 * integer parts then its fractions, as fp_split writes them) in a region after every node's
 * ACC_STRIDE words (acc_grad_word, acc_grad_lo_word in params.wgsl).
 */
export function accWords(dim: number): number {
  return accStride(dim) + 2 * dim;
}

/** The WGSL declarations of every table above, for `dim`: constants, then the two uniform structs. */
export function recordsWgsl(dim: number): string {
  return [
    '// Generated from src/mpm/records.ts (recordsWgsl): the layouts packMpm writes.',
    u32('PARTICLE_WG', PARTICLE_WG),
    u32('GROUP_VEC4S', GROUP_VEC4S),
    u32('STEP_STRIDE', STEP_STRIDE),
    u32('GROUP_STRIDE', GROUP_STRIDE),
    u32('COLLIDER_STRIDE', COLLIDER_STRIDE),
    u32('TRACK_STRIDE', TRACK_STRIDE),
    u32('PARTICLE_MODEL_STRIDE', PARTICLE_MODEL_STRIDE),
    // Particle state, array-of-structs in f32: x (DIM), v (DIM), C (DIM², column-major), F (DIM²).
    u32('PSTRIDE', particleStride(dim)),
    // Words per node of the P2G accumulator: momentum high words, mass, momentum low words.
    u32('ACC_STRIDE', accStride(dim)),
    ...fields('PARTICLE_MODEL', PARTICLE_MODEL),
    ...fields('GROUP_MODEL', GROUP_MODEL),
    ...fields('GROUP_CTRL', GROUP_CTRL),
    ...fields('COLLIDER_MODEL', COLLIDER_MODEL),
    ...fields('TRACK', TRACK_SLOT),
    u32('MAT_FLUID', MATERIAL_CODE.fluid),
    u32('MAT_ELASTIC', MATERIAL_CODE.elastic),
    u32('MAT_PLASTIC', MATERIAL_CODE.elastoplastic),
    ...fields('WALL', WALL_CODE),
    u32('NO_ACTUATOR', NO_ACTUATOR),
    SIM_PARAMS.wgsl,
    STEP_INFO.wgsl,
  ].join('\n');
}
