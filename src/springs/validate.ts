// Validation of a spring or shell scene before any GPU work, in the order of their cost: dim, then
// the element counts and the buffers they would need (array lengths only: a file claiming 10^9
// vertices is refused without visiting them), then the schema (schema.ts: types, ranges, lengths),
// then the rules that relate fields, one pass over each element array (mesh-checks.ts). Every
// error is a SceneError naming the field, the value and what is allowed.
import { checkMpc } from '../opt/mpc-checks';
import { checkActuationSource, periodicRows } from '../core/periodic';
import { checkLossRules, controlBlockNames } from '../core/loss-checks';
import type { GenericSchema } from 'valibot';
import type { SceneLimits } from '../mpm/validate';
import type { SpringScene } from './scene';
import { checkSchema, describe, dimSchema, MAX_STEPS } from '../mpm/schema';
import { checkColliderOrientation, checkColliderShape } from '../mpm/collider-checks';
import { fmt, fmtDown, fmtUp, misspelling, sceneError, show } from '../core/scene-error';
import { compileSpringScene, DEFAULT_ACTUATION_STRENGTH, type SpringModel } from './model';
import { colliderAt } from './reference';
import { stabilityLimit, type StabilityLimit } from './stability';
import { springSceneSchema, type SpringSchemaContext } from './schema';
import { springParamNames } from './param-names';
import { checkSelfContact, checkSprings, checkTriangles, checkVertexSets } from './mesh-checks';
import { commandedGoals, validateController } from '../control/controller';
import { checkGoalDraws } from '../opt/goal-draw';
import { checkTrackBounds } from '../opt/optimize-checks';
import { paramNameConflict } from '../opt/param-conflicts';

/** Vertices per batch copy, by default: 4,000,000 / batch (limits.maxParticles overrides it). */
export const DEFAULT_MAX_VERTICES = 4_000_000;
/** Springs in a scene, by default (limits.maxSprings overrides it). */
export const DEFAULT_MAX_SPRINGS = 16_000_000;
/** The largest buffer allowed when limits name no device limit. */
export const DEFAULT_MAX_BUFFER_BYTES = 128 * 2 ** 20;
/** Vertex state: x and v, each padded to 4 floats. */
const VERTEX_BYTES = 8 * 4;
/** One element record (a spring, or a third of a triangle). */
const ELEMENT_BYTES = 16;

interface Counts {
  n: number;
  springs: number;
  triangles: number;
}

/** Checks a spring or shell scene and returns it typed; throws SceneError at the first problem. */
export function validateSpringScene(raw: unknown, limits: SceneLimits = {}, batch = 1): SpringScene {
  return checkSpringScene(raw, limits, batch, true).scene;
}

/**
 * The largest dt a spring or shell scene may take (validation refuses any dt above `dtMax`), for a
 * scene built in code, whose mesh and materials set it. Everything else is checked as validation
 * checks it (a problem throws SceneError); the scene's own dt enters only through its damping's decay
 * per step.
 */
export function timeStepLimit(scene: SpringScene, limits: SceneLimits = {}): StabilityLimit {
  return stabilityLimit(checkSpringScene(scene, limits, 1, false).model);
}

function checkSpringScene(raw: unknown, limits: SceneLimits, batch: number, timeStep: boolean): { scene: SpringScene; model: SpringModel } {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch = ${batch}: allowed an integer >= 1 (the batch copies stepped together: createSimulator's batch option)`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw sceneError('', show(raw), 'has the wrong type', 'an object as `npx torsion export <scene>` writes one (schemas/scene.schema.json)');
  }
  const obj = raw as Record<string, unknown>;
  const dim = checkField(obj, 'dim', dimSchema);
  const context = countElements(obj, dim);
  checkSizes({ n: context.n ?? 0, springs: context.springs ?? 0, triangles: context.triangles ?? 0 }, limits, batch);
  checkMassCount(obj, dim);
  const s = checkSchema(springSceneSchema(context), obj);
  checkActuation(s);
  checkPositions(s);
  checkVelocities(s);
  checkGround(s);
  if (s.controller) validateController(s.controller, s.actuation?.channels ?? 0, s.dim);
  checkGrippers(s);
  checkSprings(s);
  checkTriangles(s);
  checkVertexSets(s);
  checkColliders(s);
  checkSelfContact(s);
  const model = compileSpringScene(s);
  if (timeStep) checkTimeStep(s, model);
  checkCollidersClear(s, model);
  // A spring scene's items are its vertices, all in one group.
  if (s.loss) checkLossRules(s.loss, { dim: s.dim, items: s.vertices.mass.length, groups: 1, groupSize: (g) => (g === 0 ? s.vertices.mass.length : undefined), goalLength: commandedGoals(s.controller)[0]?.length ?? 0, steps: s.steps, controlBlocks: controlBlockNames(springParamNames(s)), controlled: !!s.controller });
  checkParamNames(s, s.optimize?.params, 'optimize.params');
  checkGoalDraws(s.optimize?.goals, s.controller);
  checkTrackBounds(s.optimize, s.dim);
  checkMpc(s.mpc, s.dim, s.steps, s.actuation?.channels ?? 0);
  return { scene: s, model };
}

// The vertex count is read from vertices.mass; where x holds whole vertices of another count, the
// message names mass and says what x holds, rather than calling x the wrong length.
function checkMassCount(obj: Record<string, unknown>, dim: number): void {
  const v = obj.vertices as { x?: unknown; mass?: unknown } | undefined;
  const x = v?.x, mass = v?.mass;
  if (!Array.isArray(x) || !Array.isArray(mass) || x.length % dim !== 0 || x.length / dim === mass.length) return;
  throw sceneError('vertices.mass', show(mass), 'has the wrong length',
    `exactly ${x.length / dim} items (one per vertex: vertices.x holds ${x.length} numbers, ${x.length / dim} vertices of dim ${dim})`);
}

// An explicit step past the limit of stability.ts grows the scene's stiffest vertex's own mode from
// its rest shape: a certain blow-up, refused here rather than reported a few steps into the rollout.
function checkTimeStep(s: SpringScene, model: SpringModel): void {
  const l = stabilityLimit(model);
  if (s.dt > l.dtMax) {
    throw sceneError('dt', show(s.dt), 'is above the stability limit of the explicit step for these materials and masses',
      `< ${fmtDown(l.dtMax)} (vertex ${l.vertex}, mass ${fmt(l.mass)}, held by ${l.by} of stiffness ${fmt(l.stiffness)} N/m at rest; a smaller dt, softer materials or heavier vertices)`);
  }
}

function checkField<T>(obj: Record<string, unknown>, key: string, schema: GenericSchema<T>): T {
  if (obj[key] === undefined) throw sceneError(key, undefined, `is missing${misspelling(obj, key)}`, describe(schema));
  return checkSchema(schema, obj[key], key);
}

/** The length of obj[part][key] when it is an array. */
function lengthOf(obj: Record<string, unknown>, part: string, key: string): number | undefined {
  const p = obj[part];
  const a = typeof p === 'object' && p !== null ? (p as Record<string, unknown>)[key] : undefined;
  return Array.isArray(a) ? a.length : undefined;
}

// The counts every length depends on, from lengths alone. A count whose array is not an array
// stays undefined: the schema then reports that array's type.
function countElements(obj: Record<string, unknown>, dim: 2 | 3): SpringSchemaContext {
  const n = lengthOf(obj, 'vertices', 'mass');
  if (n === 0) throw sceneError('vertices.mass', '[]', 'is empty', 'at least 1 vertex');
  const pairs = lengthOf(obj, 'springs', 'pairs');
  if (pairs !== undefined && pairs % 2 !== 0) {
    throw sceneError('springs.pairs', `${pairs} indices`, 'is not whole pairs', 'an even number of vertex indices (i, j per spring)');
  }
  const corners = lengthOf(obj, 'triangles', 'indices');
  if (corners !== undefined && corners % 3 !== 0) {
    throw sceneError('triangles.indices', `${corners} indices`, 'is not whole triangles', 'a multiple of 3 vertex indices (3 per triangle)');
  }
  const triangles = corners === undefined ? undefined : corners / 3;
  if (dim === 2 && (triangles ?? 0) > 0) {
    throw sceneError('triangles', `${triangles} triangle${triangles === 1 ? '' : 's'}`, 'are only for 3D scenes (this one has dim 2)',
      'no triangles in a 2D scene: springs only, or dim 3 for a shell');
  }
  return { dim, n, springs: pairs === undefined ? undefined : pairs / 2, triangles };
}

function bufferLimit(limits: SceneLimits): { bytes: number; name: string } {
  const { maxStorageBufferBindingSize: a, maxBufferSize: b } = limits;
  if (a === undefined && b === undefined) return { bytes: DEFAULT_MAX_BUFFER_BYTES, name: 'the default 128 MiB' };
  const [bind, buf] = [a ?? Infinity, b ?? Infinity];
  return bind <= buf ? { bytes: bind, name: 'device limit maxStorageBufferBindingSize' } : { bytes: buf, name: 'device limit maxBufferSize' };
}

// Counts and buffer sizes from lengths alone: nothing is iterated or allocated.
function checkSizes(c: Counts, limits: SceneLimits, batch: number): void {
  const maxVertices = limits.maxParticles ?? Math.floor(DEFAULT_MAX_VERTICES / batch);
  if (c.n > maxVertices) {
    const why = limits.maxParticles !== undefined ? 'limits.maxParticles' : `${DEFAULT_MAX_VERTICES} / batch ${batch}`;
    throw sceneError('vertices', `${c.n} vertices`, 'is too many', `at most ${maxVertices} vertices (${why})`);
  }
  const maxSprings = limits.maxSprings ?? DEFAULT_MAX_SPRINGS;
  if (c.springs > maxSprings) {
    const why = limits.maxSprings !== undefined ? 'limits.maxSprings' : 'the default cap';
    throw sceneError('springs', `${c.springs} springs`, 'is too many', `at most ${maxSprings} springs (${why})`);
  }
  const lim = bufferLimit(limits);
  const check = (field: string, value: string, what: string, bytes: number) => {
    if (bytes > lim.bytes) {
      throw sceneError(field, value, `needs ${what} buffer of ${bytes} bytes, more than the device allows`, `<= ${lim.bytes} bytes (${lim.name})`);
    }
  };
  check('vertices', `${c.n} vertices (x batch ${batch})`, 'a vertex state', batch * c.n * VERTEX_BYTES);
  check(c.springs >= 3 * c.triangles ? 'springs' : 'triangles', `${c.springs} springs and ${c.triangles} triangles (x batch ${batch})`,
    'an element', batch * (c.springs + 3 * c.triangles) * ELEMENT_BYTES);
}

function checkActuation(s: SpringScene): void {
  const act = s.actuation;
  if (!act) return;
  checkActuationSource(act, true);
  const strength = s.springs?.actuationStrength ?? DEFAULT_ACTUATION_STRENGTH;
  if (act.periodic) {
    // tanh keeps a periodic gait in (-1, 1): its rows over the steps must keep the rest lengths positive
    const rows = periodicRows(act.periodic, act.channels, s.steps);
    const k = rows.findIndex((a) => !(strength * a > -1 && strength * a <= MAX_STRETCH));
    if (k >= 0) {
      throw sceneError('actuation.periodic', `${fmt(rows[k])} at step ${Math.floor(k / act.channels)}, channel ${k % act.channels}`, 'makes an actuated spring\'s rest length rest (1 + springs.actuationStrength x value) leave its range',
        `values in (${fmt(-1 / strength)}, ${fmt(MAX_STRETCH / strength)}] with springs.actuationStrength ${strength}: a smaller bias or harmonics, or a smaller strength`);
    }
    return;
  }
  const values = act.values!;
  if (values.length % act.channels !== 0) {
    throw sceneError('actuation.values', show(values), 'is not made of whole rows',
      `a positive multiple of actuation.channels = ${act.channels} (rows [T][channels], flattened)`);
  }
  const rows = values.length / act.channels;
  if (rows > MAX_STEPS) throw sceneError('actuation.values', show(values), `has ${rows} rows`, `at most ${MAX_STEPS}`);
  // an actuated spring rests at rest (1 + strength a): past -1 it has no length, and far past 1 the
  // robot is thrown out of its scene in a step (explicit springs cannot follow such a jump)
  values.forEach((a, k) => {
    if (!(strength * a > -1 && strength * a <= MAX_STRETCH)) {
      throw sceneError(`actuation.values[${k}]`, show(a), 'makes an actuated spring\'s rest length rest (1 + springs.actuationStrength x value) leave its range',
        `values in (${fmt(-1 / strength)}, ${fmt(MAX_STRETCH / strength)}] with springs.actuationStrength ${strength}: rest lengths between 0 and ${1 + MAX_STRETCH} times the spring's own`);
    }
  });
}

/** How far an actuated rest length may grow past the spring's own, in its lengths. */
const MAX_STRETCH = 9;
/** Vertex positions, per coordinate: a step reports a vertex past 1e7 as a blow-up (step.wgsl BLOW_UP). */
const MAX_COORD = 1e6;

function checkPositions(s: SpringScene): void {
  s.vertices.x.forEach((c, k) => {
    if (!(Math.abs(c) <= MAX_COORD)) throw sceneError(`vertices.x[${k}]`, show(c), 'is out of range', `|x| <= ${MAX_COORD} (a rollout stops a vertex past 1e7 as a blow-up)`);
  });
}

// A vertex that crosses the whole scene in one step is a typo or a unit slip, and the rollout would
// not stop it: its springs swing it back and forth at that amplitude, below the 1e7 past which a
// step reports a blow-up.
function checkVelocities(s: SpringScene): void {
  const v = s.vertices.v, d = s.dim;
  if (!v) return;
  const reach = Math.max(...s.extent);
  for (let i = 0; i < s.vertices.mass.length; i++) {
    let v2 = 0;
    for (let a = 0; a < d; a++) v2 += v[i * d + a] ** 2;
    if (!(Math.sqrt(v2) * s.dt > reach)) continue; // a copy of each vertex's velocity only for the message: meshes run to millions
    const vi = v.slice(i * d, (i + 1) * d), speed = Math.hypot(...vi);
    throw sceneError(`vertices.v[${i * d}..${(i + 1) * d - 1}]`, `${show(vi)} (vertex ${i}, speed ${fmt(speed)})`, 'crosses the scene\'s extent in one step',
      `speed <= max(extent) / dt = ${fmtDown(reach / s.dt)}`);
  }
}

/**
 * Depth below a surface that the start-position checks take for rounding (1e-6 of the scene's
 * extent): a vertex placed exactly on a collider at round numbers computes a few 1e-17 inside.
 */
function roundingDepth(s: SpringScene): number {
  return 1e-6 * Math.max(...s.extent);
}

/** Vertices the scene moves itself (pinned, or held by a gripper): exempt from the start-position checks. */
function heldVertices(s: SpringScene): Set<number> {
  return new Set([...(s.pinned ?? []), ...(s.grippers ?? []).flatMap((gr) => gr.vertices)]);
}

// A free vertex that starts below the ground is projected out in the first step and leaves at
// depth / dt (2000 m/s for 0.2 below at dt 1e-4): never what a scene means. Its softness may be sunk into.
function checkGround(s: SpringScene): void {
  const g = s.ground;
  if (!g) return;
  const held = heldVertices(s);
  const floor = g.height - g.softness, round = roundingDepth(s);
  for (let i = 0; i < s.vertices.mass.length; i++) {
    const y = s.vertices.x[i * s.dim + 1];
    if (y >= floor - round || held.has(i)) continue;
    throw sceneError(`vertices.x[${i * s.dim + 1}]`, `${show(y)} (vertex ${i}, axis y)`, `starts ${fmt(g.height - y)} below the ground (ground.height = ${show(g.height)}): the first step would throw it out at that depth / dt`,
      `>= ${fmtUp(floor)} (the ground's height less its softness ${show(g.softness)}), or the vertex pinned or held by a gripper`);
  }
}

// Inside a collider at its first row, a free vertex is thrown out as from below the ground.
function checkCollidersClear(s: SpringScene, m: SpringModel): void {
  if (!s.colliders?.length) return;
  const held = heldVertices(s);
  const soft = s.colliderSoftness ?? 0, x = s.vertices.x, d = s.dim, round = roundingDepth(s);
  // a vertex farther from a collider's centre than its bounding sphere is outside: only the others need its frame
  const bound2 = s.colliders.map((c) => (Math.hypot(...(c.shape === 'sphere' ? [] : c.halfExtents ?? [])) + (c.radius ?? 0)) ** 2);
  for (let i = 0; i < s.vertices.mass.length; i++) {
    if (held.has(i)) continue;
    s.colliders.forEach((c, k) => {
      let r2 = 0;
      for (let a = 0; a < d; a++) r2 += (x[i * d + a] - c.position[0][a]) ** 2;
      if (r2 > bound2[k]) return;
      const xi = x.slice(i * d, (i + 1) * d);
      const { phi } = colliderAt(m, m.ctrl0, 0, k, xi);
      if (phi >= -soft - round) return;
      throw sceneError(`vertices.x[${i * s.dim}..${(i + 1) * s.dim - 1}]`, `${show(xi)} (vertex ${i})`, `starts ${fmt(-phi)} inside colliders[${k}] "${c.name}" (a ${c.shape}, at its first position): the first step would throw it out at that depth / dt`,
        `outside the collider, or at most its softness ${show(soft)} inside (colliderSoftness), or the vertex pinned or held by a gripper`);
    });
  }
}

// A gripper's track is read per step of the rollout: rows past `steps` would never be used.
function checkGrippers(s: SpringScene): void {
  (s.grippers ?? []).forEach((g, k) => {
    if (g.position.length > s.steps) {
      throw sceneError(`grippers[${k}].position`, `${g.position.length} rows`, 'has more rows than the scene has steps',
        `1 to ${s.steps} rows (steps; one row: held)`);
    }
  });
}

// A collider surface that crosses the whole scene in a step is a unit slip, as a vertex's speed is
// (checkVelocities): a vertex it touches leaves at that speed, and a rollout of a fuzzed scene with
// a ball's velocity of 99999 went past 1e8 in 2 steps. The surface moves at up to |velocity| +
// |omega| (|halfExtents| + radius).
function checkColliders(s: SpringScene): void {
  const reachMax = Math.max(...s.extent);
  (s.colliders ?? []).forEach((c, k) => {
    const f = `colliders[${k}]`;
    checkColliderShape(c, f);
    checkColliderOrientation(c, f, s.dim);
    const cap = reachMax / s.dt;
    c.velocity.forEach((u, t) => {
      const speed = Math.hypot(...u);
      if (!(speed <= cap)) {
        throw sceneError(`${f}.velocity[${t}]`, `${show(u)} (speed ${fmt(speed)})`, 'moves the collider across the scene\'s extent in one step',
          `speed <= max(extent) / dt = ${fmtDown(cap)}`);
      }
    });
    const spin = c.angularVelocity ?? [];
    const reach = Math.hypot(...(c.shape === 'sphere' ? [] : c.halfExtents ?? [])) + (c.radius ?? 0);
    const rows = Math.max(spin.length, c.velocity.length);
    for (let t = 0; spin.length > 0 && t < rows; t++) {
      const w = spin[Math.min(t, spin.length - 1)], u = c.velocity[Math.min(t, c.velocity.length - 1)];
      const rate = Math.hypot(...w), room = cap - Math.hypot(...u);
      if (!(rate * reach <= room)) {
        throw sceneError(`${f}.angularVelocity[${Math.min(t, spin.length - 1)}]`, `${show(w)} (rate ${fmt(rate)} rad/s)`,
          `moves the collider's surface, with velocity[${Math.min(t, c.velocity.length - 1)}], across the scene's extent in one step`,
          `rate <= (max(extent) / dt - |velocity|) / (|halfExtents| + radius) = ${fmtDown(Math.max(0, room) / reach)}`);
      }
    }
  });
}

/** Refuses parameter names a spring scene does not have (optimize.params, or a command line's --params). */
export function checkParamNames(s: SpringScene, names: string[] | undefined, field: string): void {
  if (!names) return;
  const known = springParamNames(s);
  names.forEach((name, k) => {
    if (!known.includes(name)) throw sceneError(`${field}[${k}]`, show(name), 'is not a parameter of this scene', `one of ${known.join(', ')}`);
  });
  const conflict = paramNameConflict(names);
  if (conflict) throw sceneError(field, show(names), conflict, 'each name once, and one way to set each control');
}
