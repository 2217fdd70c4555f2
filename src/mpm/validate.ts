// Validation of a scene before any GPU work: the scene's kind picks its validator (spring and
// shell scenes: src/springs/validate.ts). For an MPM scene, the schema (schema.ts) first, then the
// rules that relate fields to each other: particles inside the grid, contiguous groups, the
// time-step limits, the sizes of the buffers the scene would need and the ranges that float32 and
// the fixed-point grid can represent (float-ranges.ts). Sizes are checked from array lengths
// alone, before any per-particle loop, so an absurd scene is refused at once. Every error is a
// SceneError naming the field, the value and what is allowed.
import { checkMpc } from '../opt/mpc-checks';
import { checkActuationSource } from '../core/periodic';
import { jsonText } from '../core/json-text';
import { checkLossRules, controlBlockNames } from '../core/loss-checks';
import { mpmParamNames } from './param-space';
import type { GenericSchema } from 'valibot';
import type { GroupDesc, MpmScene } from './scene';
import { particleStride, sceneHorizon, ctrlLayout } from './layout';
import {
  sceneError, checkSchema, describe, dimSchema, gridSchema, mpmSceneSchema, show, KINDS_ALLOWED, MAX_STEPS, SCENE_KINDS,
  type SceneKind,
} from './schema';
import { fmt, fmtDown, fmtUp, misspelling } from '../core/scene-error';
import { findDuplicateKey, keyPath } from '../core/json-keys';
import { checkFloatRanges } from './float-ranges';
import { checkColliderOrientation, checkColliderShape } from './collider-checks';
import type { AnyScene } from './any-scene';
import type { SpringScene } from '../springs/scene';
import { validateSpringScene } from '../springs/validate';
import { commandedGoals, validateController } from '../control/controller';
import { checkGoalDraws } from '../opt/goal-draw';
import { checkTrackBounds } from '../opt/optimize-checks';
import { paramNameConflict } from '../opt/param-conflicts';

export { SceneError } from '../core/scene-error';
export type { AnyScene } from './any-scene';

/** Device limits (GPUSupportedLimits names) and particle/node caps; all optional. */
export interface SceneLimits {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
  /** Particles (MPM) or vertices (springs) per batch copy; default 4,000,000 / batch. */
  maxParticles?: number;
  /** Springs in a spring or shell scene; default 16,000,000. */
  maxSprings?: number;
  /** Grid nodes per batch copy; default 2^24 / batch. */
  maxNodes?: number;
  /** Longest JSON text parseSceneJson reads, in characters; default MAX_SCENE_JSON_CHARS (512 MiB). */
  maxJsonChars?: number;
}

/** The time step may be at most this fraction of dx / c (c the fastest wave speed). */
export const CFL_SAFETY = 0.9;
/** Longest scene JSON text accepted, in characters. */
export const MAX_SCENE_JSON_CHARS = 512 * 2 ** 20;
export const DEFAULT_MAX_PARTICLES = 4_000_000;
const DEFAULT_MAX_NODES = 2 ** 24;
const AXES = 'xyz';

type Validator = (raw: Record<string, unknown>, limits: SceneLimits, batch: number) => AnyScene;

/** One validator per scene kind (SCENE_KINDS): a new kind adds its entry. */
const VALIDATORS: Record<SceneKind, Validator> = {
  mpm: validateMpmScene,
  springs: (raw, limits, batch) => validateSpringScene(raw, limits, batch),
  shell: (raw, limits, batch) => validateSpringScene(raw, limits, batch),
};

/** Checks `scene` and returns it typed; throws SceneError at the first problem. */
export function validateScene(scene: MpmScene, limits?: SceneLimits, batch?: number): MpmScene;
export function validateScene(scene: SpringScene, limits?: SceneLimits, batch?: number): SpringScene;
export function validateScene(scene: unknown, limits?: SceneLimits, batch?: number): AnyScene;
export function validateScene(scene: unknown, limits: SceneLimits = {}, batch = 1): AnyScene {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch = ${batch}: allowed an integer >= 1 (the batch copies stepped together: createSimulator's batch option)`);
  if (typeof scene !== 'object' || scene === null || Array.isArray(scene)) {
    throw sceneError('', show(scene), 'has the wrong type', 'an object as `npx torsion export <scene>` writes one (schemas/scene.schema.json)');
  }
  const raw = scene as Record<string, unknown>;
  return VALIDATORS[sceneKind(raw)](raw, limits, batch);
}

/** The scene's kind; a scene without one is 'mpm' (every scene written before kinds existed). */
function sceneKind(raw: Record<string, unknown>): SceneKind {
  // a springs or shell file that forgot its kind would otherwise be told MPM's grid is missing
  if (raw.kind === undefined && raw.vertices !== undefined && raw.particles === undefined && raw.grid === undefined) {
    throw sceneError('kind', undefined, 'is missing, and the scene has vertices, not particles and a grid (absent means "mpm")',
      '"springs" (mass-spring systems) or "shell" (triangles: cloth, paper) for a scene with vertices');
  }
  const kind = raw.kind ?? 'mpm';
  if (!(SCENE_KINDS as readonly unknown[]).includes(kind)) {
    throw sceneError('kind', show(raw.kind), 'is not a known scene kind', KINDS_ALLOWED);
  }
  return kind as SceneKind;
}

function validateMpmScene(raw: Record<string, unknown>, limits: SceneLimits, batch: number): MpmScene {
  // dim and grid first: every other length depends on them, and the sizes need them.
  const dim = checkField(raw, 'dim', dimSchema);
  const grid = checkField(raw, 'grid', gridSchema({ dim }));
  const group = (raw.particles as { group?: unknown } | undefined)?.group;
  const n = Array.isArray(group) ? group.length : 0;
  checkSizes(dim, n, grid.res, limits, batch);
  const s = checkSchema(mpmSceneSchema({ dim, n }), raw) as MpmScene;
  checkBoundary(s);
  s.groups.forEach((g, k) => checkGroup(s, g, k));
  checkActuation(s);
  if (s.controller) validateController(s.controller, s.actuation?.channels ?? 0, s.dim);
  checkColliders(s);
  checkLoss(s);
  checkControlSize(s, limits, batch);
  checkFloatRanges(s);
  checkParticles(s);
  checkTimeStep(s);
  return s;
}

function checkField<T>(obj: Record<string, unknown>, key: string, schema: GenericSchema<T>): T {
  if (obj[key] === undefined) throw sceneError(key, undefined, `is missing${misspelling(obj, key)}`, describe(schema));
  return checkSchema(schema, obj[key], key);
}

function bufferLimit(limits: SceneLimits): { bytes: number; name: string } {
  const a = limits.maxStorageBufferBindingSize ?? Infinity;
  const b = limits.maxBufferSize ?? Infinity;
  return a <= b ? { bytes: a, name: 'maxStorageBufferBindingSize' } : { bytes: b, name: 'maxBufferSize' };
}

function checkBuffer(field: string, value: string, what: string, bytes: number, limits: SceneLimits): void {
  const lim = bufferLimit(limits);
  if (bytes > lim.bytes) {
    throw sceneError(field, value, `needs a ${what} buffer of ${bytes} bytes, more than the device allows`,
      `<= ${lim.bytes} bytes (device limit ${lim.name})`);
  }
}

// Counts and buffer sizes from lengths alone: nothing is iterated or allocated.
function checkSizes(dim: number, n: number, res: number[], limits: SceneLimits, batch: number): void {
  const maxParticles = limits.maxParticles ?? Math.floor(DEFAULT_MAX_PARTICLES / batch);
  if (n > maxParticles) {
    const why = limits.maxParticles !== undefined ? 'limits.maxParticles' : `${DEFAULT_MAX_PARTICLES} / batch ${batch}`;
    throw sceneError('particles', `${n} particles`, 'is too many', `at most ${maxParticles} particles (${why})`);
  }
  const nodes = res.reduce((a, b) => a * b, 1);
  const maxNodes = limits.maxNodes ?? Math.floor(DEFAULT_MAX_NODES / batch);
  if (nodes > maxNodes) {
    const why = limits.maxNodes !== undefined ? 'limits.maxNodes' : `2^24 / batch ${batch}`;
    throw sceneError('grid.res', `${show(res)} (${nodes} nodes)`, 'has too many grid nodes', `at most ${maxNodes} nodes (${why})`);
  }
  checkBuffer('particles', `${n} particles (x batch ${batch})`, 'particle state',
    batch * n * particleStride(dim) * 4, limits);
  checkBuffer('grid.res', `${show(res)} (${nodes} nodes x batch ${batch})`, 'grid', batch * nodes * (dim + 1) * 4, limits);
}

// The control buffer grows with the horizon: actuation rows and collider tracks, per batch copy.
function checkControlSize(s: MpmScene, limits: SceneLimits, batch: number): void {
  const horizon = sceneHorizon(s);
  const nAct = s.actuation?.channels ?? 0;
  const bytes = ctrlLayout(batch, s.groups.length, horizon, nAct, s.colliders.length).size * 4;
  const field = nAct >= 8 * s.colliders.length ? 'actuation' : 'colliders';
  checkBuffer(field, `${horizon} control steps (x batch ${batch})`, 'control', bytes, limits);
}

function checkBoundary(s: MpmScene): void {
  const bc = s.boundary.boundCells;
  const max = Math.floor(Math.min(...s.grid.res) / 2) - 1;
  if (bc !== undefined && bc > max) {
    throw sceneError('boundary.boundCells', show(bc), 'leaves no interior in the grid', `integers in [0, ${max}] (min(res) / 2 - 1)`);
  }
}

function checkGroup(s: MpmScene, g: GroupDesc, k: number): void {
  const f = `groups[${k}]`;
  if (g.material === 'elastoplastic' && !g.plastic) {
    throw sceneError(`${f}.plastic`, undefined, 'is missing', 'an object { thetaC, thetaS } for an elastoplastic group');
  }
  if (g.material !== 'elastoplastic' && g.plastic) {
    throw sceneError(`${f}.plastic`, 'an object', `is only used by elastoplastic groups (this one is ${g.material})`,
      'no plastic field, or material "elastoplastic"');
  }
  if (g.material !== 'fluid' && (g.viscosity ?? 0) > 0) {
    throw sceneError(`${f}.viscosity`, show(g.viscosity), `is only used by fluid groups (this one is ${g.material})`, '0 or absent');
  }
  const a = g.actuator;
  if (!a) return;
  const channels = s.actuation?.channels ?? 0;
  if (a.channel >= channels) {
    throw sceneError(`${f}.actuator.channel`, show(a.channel), 'is not an actuation channel',
      channels === 0 ? 'none: the scene has no actuation (add scene.actuation)' : `integers in [0, ${channels - 1}] (actuation.channels = ${channels})`);
  }
  if (a.fiber.every((c) => c === 0)) {
    throw sceneError(`${f}.actuator.fiber`, show(a.fiber), 'is zero', 'a non-zero direction');
  }
}

function checkActuation(s: MpmScene): void {
  const act = s.actuation;
  if (!act) return;
  checkActuationSource(act, false);
  if (!act.values) return;
  if (act.values.length % act.channels !== 0) {
    throw sceneError('actuation.values', show(act.values), 'is not made of whole rows',
      `a multiple of actuation.channels = ${act.channels} (rows [T][channels], flattened)`);
  }
  const rows = act.values.length / act.channels;
  if (rows > MAX_STEPS) {
    throw sceneError('actuation.values', show(act.values), `has ${rows} rows`, `at most ${MAX_STEPS}`);
  }
}

function checkColliders(s: MpmScene): void {
  const { dx } = s.grid;
  s.colliders.forEach((c, k) => {
    const f = `colliders[${k}]`;
    checkColliderShape(c, f);
    // A collider moving more than a cell per step skips over the material it should push.
    c.velocity.forEach((u, t) => {
      const speed = Math.hypot(...u);
      if (s.dt * speed > dx) {
        throw sceneError(`${f}.velocity[${t}]`, `${show(u)} (speed ${fmt(speed)})`, 'moves more than a cell per step',
          `speed <= dx / dt = ${fmtDown(dx / s.dt)}`);
      }
    });
    checkColliderOrientation(c, f, s.dim);
    // Spinning, the surface moves at up to |u| + |omega| (|h| + r) (its farthest point from the centre).
    const reach = Math.hypot(...(c.halfExtents ?? [])) + (c.radius ?? 0);
    const spin = c.angularVelocity ?? [];
    const rows = Math.max(spin.length, c.velocity.length);
    for (let t = 0; spin.length > 0 && t < rows; t++) {
      const w = spin[Math.min(t, spin.length - 1)];
      const u = c.velocity[Math.min(t, c.velocity.length - 1)];
      const rate = Math.hypot(...w);
      const room = dx / s.dt - Math.hypot(...u);
      if (rate * reach > room) {
        throw sceneError(`${f}.angularVelocity[${Math.min(t, spin.length - 1)}]`, `${show(w)} (rate ${fmt(rate)} rad/s)`,
          `moves the collider's surface, with velocity[${Math.min(t, c.velocity.length - 1)}], more than a cell per step`,
          `rate <= (dx / dt - |velocity|) / (|halfExtents| + radius) = ${fmtDown(Math.max(0, room) / reach)}`);
      }
    }
  });
}

function checkLoss(s: MpmScene): void {
  if (s.loss) {
    const sizes = new Array<number>(s.groups.length).fill(0);
    for (const g of s.particles.group) if (g < sizes.length) sizes[g]++;
    checkLossRules(s.loss, { dim: s.dim, items: s.particles.group.length, groups: s.groups.length, groupSize: (g) => sizes[g], goalLength: commandedGoals(s.controller)[0]?.length ?? 0, steps: s.steps, controlBlocks: controlBlockNames(mpmParamNames(s)), controlled: !!s.controller }, 'loss');
  }
  checkParamNames(s, s.optimize?.params, 'optimize.params');
  checkGoalDraws(s.optimize?.goals, s.controller);
  checkTrackBounds(s.optimize, s.dim);
  checkMpc(s.mpc, s.dim, s.steps, s.actuation?.channels ?? 0);
}

/** Refuses parameter names the scene does not have (optimize.params, or a command line's --params). */
export function checkParamNames(s: MpmScene, names: string[] | undefined, field: string): void {
  if (!names) return;
  const known = mpmParamNames(s);
  names.forEach((name, k) => {
    if (!known.includes(name)) throw sceneError(`${field}[${k}]`, show(name), 'is not a parameter of this scene', `one of ${known.join(', ')}`);
  });
  const conflict = paramNameConflict(names);
  if (conflict) throw sceneError(field, show(names), conflict, 'each name once, and one way to set each control');
}

// Group indices, contiguity (one [start, count] range per group on the GPU), positions inside the
// walls, and initial speeds under a cell per step: one pass over the particles.
function checkParticles(s: MpmScene): void {
  const { dim, particles: { x, v, group } } = s;
  const { res, dx } = s.grid;
  const bc = s.boundary.boundCells ?? 3;
  // g2p clamps positions to [dx, (res - 2) dx]; the walls occupy boundCells cells on each side.
  const lo = res.map(() => Math.max(bc, 1) * dx);
  const hi = res.map((r) => (r - Math.max(bc, 2)) * dx);
  // A GPU binding cannot be empty, and a scene without material has nothing to simulate.
  if (group.length === 0) throw sceneError('particles', '0 particles', 'is empty', 'at least 1 particle (fill a group with fillBox)');
  const nGroups = s.groups.length;
  const seen = new Uint8Array(nGroups);
  const vMax = dx / s.dt;
  for (let p = 0; p < group.length; p++) {
    const g = group[p];
    if (g >= nGroups) {
      throw sceneError(`particles.group[${p}]`, show(g), 'is not a group', `integers in [0, ${nGroups - 1}]`);
    }
    if (p > 0 && g !== group[p - 1]) {
      if (seen[g]) {
        throw sceneError(`particles.group[${p}]`, show(g), `restarts group ${g} after group ${group[p - 1]}`,
          'the particles of each group in one contiguous run (call finalizeScene(scene), from \'torsion\' or scenes/builders.ts, after the last fill: it sorts them)');
      }
    }
    seen[g] = 1;
    for (let i = 0; i < dim; i++) {
      const c = x[p * dim + i];
      if (!(c >= lo[i] && c <= hi[i])) {
        // below 1 and 2 wall cells, g2p's clamp sets the interior: said, or boundCells 0 would not explain it
        const why = bc >= 2 ? `boundCells = ${bc} cells from each side` : `boundCells = ${bc}, but at least the 1 cell below and 2 above that g2p keeps particles from`;
        throw sceneError(`particles.x[${p * dim + i}]`, `${show(c)} (particle ${p}, axis ${AXES[i]})`, 'is outside the grid interior',
          `[${fmtUp(lo[i])}, ${fmtDown(hi[i])}] (${why}, of the ${res[i]}-node grid, dx = ${dx})`);
      }
    }
    let v2 = 0;
    for (let i = 0; i < dim; i++) v2 += v[p * dim + i] ** 2;
    if (v2 > vMax * vMax) {
      const row = v.slice(p * dim, p * dim + dim);
      throw sceneError(`particles.v[${p * dim}..${p * dim + dim - 1}]`, `${show(row)} (particle ${p}, speed ${fmt(Math.sqrt(v2))})`,
        'moves more than a cell per step', `speed <= dx / dt = ${fmtDown(vMax)}`);
    }
  }
}

/** Fastest wave speed of a group: sqrt(M / density), M the P-wave modulus (fluids: the bulk modulus). */
export function waveSpeed(g: GroupDesc, dim: number): number {
  const mu = g.E / (2 * (1 + g.nu));
  const lambda = (g.E * g.nu) / ((1 + g.nu) * (1 - 2 * g.nu));
  const modulus = g.material === 'fluid' ? lambda + (2 * mu) / dim : lambda + 2 * mu;
  return Math.sqrt(modulus / g.density);
}

/** The largest dt validateScene accepts for this scene's materials and grid. */
export function maxStableDt(s: MpmScene): number {
  let dtMax = Infinity;
  for (const g of s.groups) {
    dtMax = Math.min(dtMax, (CFL_SAFETY * s.grid.dx) / waveSpeed(g, s.dim));
    // Explicit viscosity is a diffusion with nu_k = viscosity / density: dt <= dx^2 / (2 dim nu_k).
    if (g.material === 'fluid' && (g.viscosity ?? 0) > 0) {
      dtMax = Math.min(dtMax, (CFL_SAFETY * g.density * s.grid.dx ** 2) / (2 * s.dim * g.viscosity!));
    }
  }
  return dtMax;
}

// Explicit MPM is stable while a wave crosses less than a cell per step (CFL): dt <= 0.9 dx / c.
function checkTimeStep(s: MpmScene): void {
  const { dx } = s.grid;
  s.groups.forEach((g, k) => {
    const c = waveSpeed(g, s.dim);
    const dtWave = (CFL_SAFETY * dx) / c;
    if (s.dt > dtWave) {
      const m = g.material === 'fluid' ? 'sqrt(K / density), K = lambda + 2 mu / dim' : 'sqrt((lambda + 2 mu) / density)';
      throw sceneError('dt', show(s.dt), 'is above the stability limit',
        `<= ${fmtDown(dtWave)} (${CFL_SAFETY} dx / c with dx = ${dx} and c = ${fmt(c)} = ${m}, the wave speed of groups[${k}] "${g.name}")`);
    }
    const eta = g.material === 'fluid' ? g.viscosity ?? 0 : 0;
    const dtVisc = (CFL_SAFETY * g.density * dx * dx) / (2 * s.dim * eta);
    if (s.dt > dtVisc) {
      throw sceneError('dt', show(s.dt), 'is above the viscous stability limit',
        `<= ${fmtDown(dtVisc)} (${CFL_SAFETY} density dx^2 / (2 dim viscosity) for groups[${k}] "${g.name}")`);
    }
  });
  // Falling the whole height of the grid (axis 1, the ground's) from rest, a body reaches
  // sqrt(2 |g| H); beyond a cell per step the rollout is reported as a blow-up (speedLimit), so a
  // gravity that gets there is refused up front.
  const g = Math.hypot(...s.gravity);
  const height = s.grid.res[1] * dx;
  if (Math.sqrt(2 * g * height) * s.dt > dx) {
    throw sceneError('gravity', `${show(s.gravity)} (|g| ${fmt(g)})`, 'accelerates a body falling the grid height past a cell per step',
      `|g| <= (dx / dt)^2 / (2 res[1] dx) = ${fmtDown((dx / s.dt) ** 2 / (2 * height))}`);
  }
}

/** Parses and validates a scene file's text. */
export function parseSceneJson(text: string, limits?: SceneLimits, batch = 1): AnyScene {
  if (typeof text !== 'string') throw sceneError('', show(text), 'is not text', 'a JSON string');
  const maxChars = limits?.maxJsonChars ?? MAX_SCENE_JSON_CHARS;
  if (text.length > maxChars) {
    const why = limits?.maxJsonChars !== undefined ? 'limits.maxJsonChars' : '512 MiB';
    throw sceneError('', `${text.length} characters of JSON`, 'is too large', `at most ${maxChars} characters (${why})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw sceneError('', undefined, `is not valid JSON (${(e as Error).message})`, 'a JSON object as `npx torsion export <scene>` writes one (schemas/scene.schema.json)');
  }
  const twice = findDuplicateKey(text);
  if (twice) {
    throw sceneError(keyPath(twice), undefined, `is given twice in one object (lines ${twice.lines[0]} and ${twice.lines[1]}); JSON would keep the second silently`, 'each key once');
  }
  return validateScene(data, limits, batch);
}

/**
 * A scene as JSON text that parseSceneJson reads back to an equal scene. Validated first (without
 * size limits: those belong to the device that loads it). Arrays of numbers stay on one line.
 */
export function exportSceneJson(scene: AnyScene): string {
  validateScene(scene, { maxParticles: Infinity, maxNodes: Infinity, maxSprings: Infinity, maxBufferSize: Infinity });
  return `${jsonText(scene)}\n`;
}

