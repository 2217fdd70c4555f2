// The scene file format as a valibot schema: the one description of what a scene file may hold.
// validateScene (validate.ts) checks files with it, and `npm run schema` turns it into the JSON
// Schema that editors complete from (schemas/scene.schema.json, scene-json-schema.ts). This file
// holds the MPM scene and the building blocks every kind shares: src/springs/schema.ts builds the
// spring scene from them, and any-scene.ts joins the kinds into one union. A scene file is
// untrusted input: every field's type, presence, enum value, numeric range and array length is
// checked, array lengths always before array items (arrayOf), and parsing stops at the first
// problem, which becomes a SceneError naming the field, the value and what is allowed
// (toSceneError). Numbers go to the GPU as float32, so every float is bounded by F32_MAX and the
// positive parameters by the smallest normal float32. Rules that relate several fields live in
// validate.ts and float-ranges.ts.
import * as v from 'valibot';
import type { MpmScene } from './scene';
import { MAX_COLLIDERS } from './layout';
import { F32_MAX, F32_MIN_NORMAL } from './float32';
import { SceneError, fmtDown, fmtUp, misspelling, sceneError, show } from '../core/scene-error';
import { controllerSchema } from '../control/schema';
import { MAX_HARMONICS } from '../core/periodic';

export { SceneError, sceneError, show };

export const MAX_STEPS = 100_000;
export const RES_MIN = 8;
export const RES_MAX = 512;
export const MAX_GROUPS = 256;
export const MAX_CHANNELS = 64;

/** `actuation.periodic`: steps per period, and 1 + 2K coefficients per channel (src/core/periodic.ts). */
export function periodicSchema() {
  return object({
    period: positive,
    coefficients: arrayOf(f32, { min: 3, max: MAX_CHANNELS * (1 + 2 * MAX_HARMONICS) }),
  });
}
export const MAX_NAME = 256;
export const MAX_DESCRIPTION = 4096;

/** The kinds of scene a file may declare in `kind`; a file without one is an 'mpm' scene. */
export const SCENE_KINDS = ['mpm', 'springs', 'shell'] as const;
export type SceneKind = (typeof SCENE_KINDS)[number];
/** What `kind` allows, in words. */
export const KINDS_ALLOWED = `one of ${SCENE_KINDS.map(show).join(', ')} (absent means "mpm")`;

/**
 * What array lengths depend on: the scene's dim and particle count (the length of
 * particles.group), known to validateScene before the check. Absent: the published schema,
 * which allows either dim and any count.
 */
export interface SchemaContext {
  dim?: 2 | 3;
  n?: number;
}

type Issue = v.BaseIssue<unknown>;
export type Message = string | ((issue: Issue) => string);
// v.pipe over a list built at run time (its typings want a tuple); the result's type is the first item's.
const pipeOf = v.pipe as unknown as <T>(...items: unknown[]) => v.GenericSchema<T>;

// What each schema accepts, in words ("a number in (0, 0.5)"), for the messages.
const descriptions = new WeakMap<object, string>();
function described<S extends object>(schema: S, text: string): S {
  descriptions.set(schema, text);
  return schema;
}

/** What a schema accepts, in words. */
export function describe(schema: v.GenericSchema): string {
  const s = schema as v.GenericSchema & { wrapped?: v.GenericSchema };
  if (s.type === 'optional' && s.wrapped) return describe(s.wrapped);
  return descriptions.get(s) ?? s.expects;
}

interface NumberRange {
  integer?: boolean;
  min?: number;
  max?: number;
  /** Bounds are inclusive unless marked open. */
  minOpen?: boolean;
  maxOpen?: boolean;
}

// Float32 limits are shown rounded inward, so the range shown is still all allowed.
function lowBound(x: number): string {
  return x === F32_MIN_NORMAL || x === -F32_MAX ? fmtUp(x) : String(x);
}
function highBound(x: number): string {
  return x === F32_MAX ? fmtDown(x) : String(x);
}
function float32Note(r: NumberRange): string {
  if (r.min === F32_MIN_NORMAL) return ' (a normal float32)';
  return r.max === F32_MAX ? ' (float32)' : '';
}

/** A numeric range as in mathematics: `(0, 0.5)`, `[8, 512]`, `> 0`, `integers >= 0`. */
export function range(r: NumberRange): string {
  const lo = r.min === undefined ? undefined : `${r.minOpen ? '(' : '['}${lowBound(r.min)}`;
  const hi = r.max === undefined ? undefined : `${highBound(r.max)}${r.maxOpen ? ')' : ']'}`;
  const text = lo && hi ? `${lo}, ${hi}`
    : lo ? `${r.minOpen ? '>' : '>='} ${lowBound(r.min!)}`
      : hi ? `${r.maxOpen ? '<' : '<='} ${highBound(r.max!)}` : '';
  if (r.integer) return `integers${text ? (lo && hi ? ` in ${text}` : ` ${text}`) : ''}`;
  return `${text}${float32Note(r)}`;
}

function describeNumber(r: NumberRange): string {
  const text = range(r);
  if (r.integer) return text.replace(/^integers/, 'an integer');
  const finite = r.min === -F32_MAX && r.max === F32_MAX ? 'a finite number in ' : 'a number in ';
  return text.startsWith('(') || text.startsWith('[') ? finite + text : `a number ${text}`;
}

export function num(r: NumberRange): v.GenericSchema<number> {
  const whole = describeNumber(r);
  // A non-finite value fails a bound too; it is told what a number must be, not the range.
  const inRange: Message = (i) => (Number.isFinite(i.input) ? range(r) : whole);
  const checks: unknown[] = [];
  if (r.integer) checks.push(v.integer(whole));
  if (r.min !== undefined) checks.push(r.minOpen ? v.gtValue(r.min, inRange) : v.minValue(r.min, inRange));
  if (r.max !== undefined) checks.push(r.maxOpen ? v.ltValue(r.max, inRange) : v.maxValue(r.max, inRange));
  return described(pipeOf<number>(v.number(whole), ...checks), whole);
}

/** Any float32 (positions, velocities, tracks, gravity). */
export const f32 = num({ min: -F32_MAX, max: F32_MAX });
/** A positive parameter that multiplies others on the GPU (E, density, vol, dx, dt): a normal float32. */
export const positive = num({ min: F32_MIN_NORMAL, max: F32_MAX });
export const nonNegative = num({ min: 0, max: F32_MAX });
export const bool = described(v.boolean('true or false'), 'true or false');
/**
 * An angle in radians that a bend can exceed, in (0, 2 pi) (a shell's plastic yieldAngle): a bend
 * differs from its rest angle by less than 2 pi, so a larger one never yields; it is most likely
 * degrees, and the message says so.
 */
export const bendRadians = described(pipeOf<number>(positive, v.ltValue(2 * Math.PI,
  `(0, ${fmtDown(2 * Math.PI)}) radians: a bend never exceeds its rest angle by 2 pi (degrees? 30 degrees is ${(Math.PI / 6).toFixed(4)})`)),
`a number in (0, ${fmtDown(2 * Math.PI)}), radians`);
const openUnit = num({ min: 0, max: 1, minOpen: true, maxOpen: true });
export const int = (min: number, max?: number) => num({ integer: true, min, max });

export function str(maxLength: number) {
  return described(v.pipe(v.string('a string'), v.maxLength(maxLength, `at most ${maxLength} characters`)), 'a string');
}

export function oneOf<const T extends readonly (string | number)[]>(values: T) {
  const list = values.map(show).join(', ');
  const message: Message = (i) => (i.input === undefined ? `one of ${list}` : list);
  return described(v.picklist(values, message), `one of ${list}`);
}

/** Array lengths: exactly, or at least / at most; `why` says where a computed length comes from. */
export interface Length {
  exactly?: number;
  min?: number;
  max?: number;
  why?: string;
}

/**
 * An array whose length is checked before its items: a file claiming 10^9 particles is refused
 * without visiting them (valibot's array checks its items first, then the pipe's lengths). Arrays
 * of plain numbers whose items all pass are accepted in one tight loop, without valibot's copy
 * of the array; on the first item that fails, valibot's own run reports it.
 */
export function arrayOf<T extends v.GenericSchema>(item: T, length: Length = {}): v.GenericSchema<v.InferOutput<T>[]> {
  const why = length.why ? ` (${length.why})` : '';
  const checks: v.GenericValidation<unknown[]>[] = [];
  if (length.exactly !== undefined) checks.push(v.length(length.exactly, `exactly ${length.exactly} ${length.exactly === 1 ? 'item' : 'items'}${why}`));
  if (length.min !== undefined) checks.push(v.minLength(length.min, `at least ${length.min}`));
  if (length.max !== undefined) checks.push(v.maxLength(length.max, `at most ${length.max}${why}`));
  const base = v.array(item, `an array of ${describe(item)}`);
  const allPass = numbersTest(item);
  const guarded: typeof base = {
    ...base,
    '~run'(dataset, config) {
      const input = dataset.value;
      if (Array.isArray(input)) {
        const probe = { typed: true, value: input } as v.SuccessDataset<unknown[]>;
        for (const c of checks) {
          const out = c['~run'](probe, config);
          if (out.issues) return { typed: false, value: input, issues: out.issues } as ReturnType<typeof base['~run']>;
        }
        if (allPass?.(input)) return { typed: true, value: input } as ReturnType<typeof base['~run']>;
      }
      return base['~run'](dataset, config);
    },
  };
  return described(pipeOf<v.InferOutput<T>[]>(guarded, ...checks), `an array of ${describe(item)}`);
}

/** For a number schema of the kind num() builds: a loop that says whether all items pass it. */
function numbersTest(item: v.GenericSchema): ((a: unknown[]) => boolean) | undefined {
  const pipe = (item as { pipe?: { type: string; requirement?: unknown }[] }).pipe;
  if (!pipe || pipe[0].type !== 'number') return undefined;
  let integer = false, lo = -Infinity, hi = Infinity, loOpen = false, hiOpen = false;
  for (const a of pipe.slice(1)) {
    const r = a.requirement as number;
    if (a.type === 'integer') integer = true;
    else if (a.type === 'min_value' || a.type === 'gt_value') { lo = r; loOpen = a.type === 'gt_value'; }
    else if (a.type === 'max_value' || a.type === 'lt_value') { hi = r; hiOpen = a.type === 'lt_value'; }
    else return undefined;
  }
  return (a) => {
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      // NaN fails every comparison; a hole (undefined) fails typeof.
      if (typeof x !== 'number' || !(loOpen ? x > lo : x >= lo) || !(hiOpen ? x < hi : x <= hi)) return false;
      if (integer && !Number.isInteger(x)) return false;
    }
    return true;
  };
}

/** A strict object (unknown fields refused), with messages for a missing or unknown field. */
export function object<const E extends v.ObjectEntries>(entries: E) {
  const keys = Object.keys(entries);
  const message: Message = (i) => {
    if (i.expected === 'never') return `the fields ${keys.join(', ')}`;
    const key = i.path?.[0]?.key;
    if (i.input === undefined && typeof key === 'string' && Object.hasOwn(entries, key)) return describe(entries[key]);
    return 'an object';
  };
  return described(v.strictObject(entries, message), `an object with the fields ${keys.join(', ')}`);
}

export const opt = <S extends v.GenericSchema>(s: S) => v.optional(s);

const ONE_PER_AXIS = 'one per axis (dim)';
export const perAxis = (c: SchemaContext): Length => (c.dim ? { exactly: c.dim, why: ONE_PER_AXIS } : { min: 2, max: 3, why: ONE_PER_AXIS });
/** Per-step rows [T][...] (or one row: held). */
export const track = (row: Length) => arrayOf(arrayOf(f32, row), { min: 1, max: MAX_STEPS });
const ORIENTATION = '[angle] in 2D, a quaternion [x, y, z, w] in 3D';
const SPIN = '[omega] in 2D, [wx, wy, wz] in 3D';
const byDim = (c: SchemaContext, in2d: number, in3d: number, why: string): Length =>
  c.dim ? { exactly: c.dim === 2 ? in2d : in3d, why } : { min: Math.min(in2d, in3d), max: Math.max(in2d, in3d), why };

function groupSchema(c: SchemaContext) {
  return object({
    name: str(MAX_NAME),
    material: oneOf(['fluid', 'elastic', 'elastoplastic']),
    E: positive,
    nu: num({ min: 0, max: 0.5, minOpen: true, maxOpen: true }),
    density: positive,
    viscosity: opt(nonNegative),
    plastic: opt(object({ thetaC: openUnit, thetaS: openUnit })),
    actuator: opt(object({
      channel: int(0, MAX_CHANNELS - 1),
      strength: f32,
      fiber: arrayOf(f32, perAxis(c)),
    })),
  });
}

export function colliderSchema(c: SchemaContext) {
  return object({
    name: str(MAX_NAME),
    shape: oneOf(['box', 'sphere', 'capsule']),
    halfExtents: opt(arrayOf(nonNegative, perAxis(c))),
    radius: opt(nonNegative),
    friction: nonNegative,
    position: track(perAxis(c)),
    velocity: track(perAxis(c)),
    orientation: opt(track(byDim(c, 1, 4, ORIENTATION))),
    angularVelocity: opt(track(byDim(c, 1, 3, SPIN))),
  });
}

function particlesSchema(c: SchemaContext) {
  const perParticle = (k: number, why: string): Length => (c.dim && c.n !== undefined ? { exactly: k * c.n, why } : {});
  return object({
    x: arrayOf(f32, perParticle(c.dim ?? 0, 'dim x particle count (particles.group.length)')),
    v: arrayOf(f32, perParticle(c.dim ?? 0, 'dim x particle count (particles.group.length)')),
    group: arrayOf(int(0)),
    vol: arrayOf(positive, perParticle(1, 'one per particle (particles.group.length)')),
  });
}

/** Terms a weighted-sum loss may have. */
export const MAX_LOSS_TERMS = 16;

/** The losses that may be a weighted sum's term (TermLossDesc in src/core/loss.ts). */
function termLossSchemas(c: SchemaContext) {
  const group = opt(int(0));
  const point = arrayOf(f32, perAxis(c));
  const perItem = c.n !== undefined ? { min: 1, max: c.n, why: 'at most one per item' } : { min: 1 };
  const noTarget = (fields: string) => opt(v.never(`the fields ${fields}`));
  const step = opt(int(0, MAX_STEPS));
  return [
    object({ kind: v.literal('com-target'), group, step, target: point }),
    object({
      kind: v.literal('com-travel'), group, step,
      axis: int(0, (c.dim ?? 3) - 1),
      direction: oneOf([1, -1]),
      origin: opt(f32),
      target: noTarget('kind, group, step, axis, direction, origin'),
    }),
    object({
      kind: v.literal('com-speed'), group,
      axis: int(0, (c.dim ?? 3) - 1),
      speed: opt(f32),
      goal: opt(int(0, 15)),
      target: noTarget('kind, group, axis, speed, goal'),
    }),
    object({ kind: v.literal('region-fraction'), group, step, target: object({ min: point, max: point }), width: positive }),
    object({ kind: v.literal('match-positions'), group, step, items: opt(arrayOf(int(0), perItem)), target: arrayOf(point, perItem) }),
    object({ kind: v.literal('effort'), block: opt(str(MAX_NAME)), target: noTarget('kind, block') }),
    object({ kind: v.literal('smoothness'), block: opt(str(MAX_NAME)), target: noTarget('kind, block') }),
    object({ kind: v.literal('match-pairs'), step, pairs: arrayOf(arrayOf(int(0), { min: 2, max: 2 }), c.n !== undefined ? { min: 1, max: Math.max(1, Math.floor(c.n / 2)), why: 'each item in at most one pair' } : { min: 1 }), target: noTarget('kind, step, pairs') }),
  ] as const;
}

const TERM_KINDS = ['com-target', 'com-travel', 'com-speed', 'region-fraction', 'match-positions', 'match-pairs', 'effort', 'smoothness'];
const kindMessage = (kinds: string[]): Message => () => `one of ${kinds.map(show).join(', ')}`;

/** The objective (LossDesc in src/core/loss.ts), shared by every scene kind. */
export function lossSchema(c: SchemaContext) {
  const terms = termLossSchemas(c);
  const term = v.variant('kind', [...terms], kindMessage(TERM_KINDS));
  return v.variant('kind', [...terms, object({
    kind: v.literal('weighted-sum'),
    terms: arrayOf(object({ weight: f32, loss: term }), { min: 1, max: MAX_LOSS_TERMS }),
    target: opt(v.never('the fields kind, terms')),
  })], kindMessage([...TERM_KINDS, 'weighted-sum']));
}

/** What `torsion optimize` tunes (OptimizeDesc in scene.ts), shared by every scene kind. */
export function optimizeSchema() {
  return object({
    params: opt(arrayOf(str(MAX_NAME), { min: 1, max: 64 })),
    param: opt(oneOf(['initialVelocity'])),
    learningRate: opt(num({ min: 0, minOpen: true, max: F32_MAX })),
    iterations: int(1, 1_000_000),
    optimizer: opt(oneOf(['adam', 'gd', 'cem', 'spsa', 'hybrid'])),
    population: opt(int(3, 4096)),
    sigma: opt(num({ min: 0, minOpen: true, max: F32_MAX })),
    clip: opt(num({ min: 0, minOpen: true, max: F32_MAX })),
    threshold: opt(num({ min: -F32_MAX, max: F32_MAX })),
    period: opt(num({ min: 0, minOpen: true, max: 1e9 })),
    harmonics: opt(int(1, 16)),
    waypoints: opt(int(1, 1024)),
    trackBounds: opt(object({ min: arrayOf(f32, { min: 2, max: 3 }), max: arrayOf(f32, { min: 2, max: 3 }) })),
    patience: opt(int(1, 1000)),
    refine: opt(oneOf(['adam', 'gd'])),
    normalize: opt(bool),
    goals: opt(oneOf(['listed', 'stratified'])),
  });
}

/** What `torsion mpc` does (MpcDesc in scene.ts), shared by every scene kind. */
export function mpcSchema() {
  return object({
    horizon: int(1, 100_000),
    every: int(1, 100_000),
    iterations: int(1, 10_000),
    learningRate: num({ min: 0, minOpen: true, max: F32_MAX }),
    goal: arrayOf(arrayOf(f32, { min: 3, max: 4 }), { min: 1, max: 100_000 }),
    axes: opt(arrayOf(int(0, 2), { min: 1, max: 3 })),
    tolerance: num({ min: 0, minOpen: true, max: F32_MAX }),
    warmup: int(0, MAX_STEPS),
    clip: opt(num({ min: 0, minOpen: true, max: F32_MAX })),
    period: opt(num({ min: 0, minOpen: true, max: 1e9 })),
    harmonics: opt(int(1, 16)),
  });
}

export const dimSchema = oneOf([2, 3]);

export function gridSchema(c: SchemaContext) {
  return object({
    res: arrayOf(int(RES_MIN, RES_MAX), perAxis(c)),
    dx: positive,
  });
}

/** What sortEvery allows, in words (the simulator's option says the same: checkSortEvery in simulator.ts). */
export const SORT_EVERY_ALLOWED = 'an integer >= 0 (steps between particle sorts; 0: never sort)';
// No upper bound: a period longer than the rollout sorts once, before step 0.
const SORT_EVERY = described(v.pipe(
  v.number(SORT_EVERY_ALLOWED), v.integer(SORT_EVERY_ALLOWED), v.minValue(0, SORT_EVERY_ALLOWED)), SORT_EVERY_ALLOWED);

/** An MPM scene (MpmScene in scene.ts). */
export function mpmSceneSchema(c: SchemaContext = {}) {
  return object({
    name: str(MAX_NAME),
    description: opt(str(MAX_DESCRIPTION)),
    dim: dimSchema,
    grid: gridSchema(c),
    dt: positive,
    steps: int(1, MAX_STEPS),
    gravity: arrayOf(f32, perAxis(c)),
    boundary: object({
      walls: oneOf(['sticky', 'slip', 'separate']),
      groundFriction: opt(nonNegative),
      boundCells: opt(int(0, RES_MAX / 2)),
    }),
    groups: arrayOf(groupSchema(c), { min: 1, max: MAX_GROUPS }),
    particles: particlesSchema(c),
    colliders: arrayOf(colliderSchema(c), { max: MAX_COLLIDERS }),
    actuation: opt(object({
      channels: int(1, MAX_CHANNELS),
      values: opt(arrayOf(f32, { max: MAX_CHANNELS * MAX_STEPS })),
      periodic: opt(periodicSchema()),
    })),
    loss: opt(lossSchema(c)),
    optimize: opt(optimizeSchema()),
    mpc: opt(mpcSchema()),
    controller: opt(controllerSchema()),
    sortEvery: opt(SORT_EVERY),
    kind: opt(described(v.literal('mpm', KINDS_ALLOWED), KINDS_ALLOWED)),
    $schema: opt(str(MAX_DESCRIPTION)),
  });
}

// The schema and the MpmScene type describe the same data: the same fields at every level (optional
// ones made required, so one missing on either side shows), each side assignable to the other.
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type AllFields<T> = T extends readonly (infer U)[] ? AllFields<U>[]
  : T extends object ? { [K in keyof T]-?: AllFields<NonNullable<T[K]>> } : T;
type SchemaScene = v.InferOutput<ReturnType<typeof mpmSceneSchema>>;
const inStep: Same<AllFields<SchemaScene>, AllFields<MpmScene>> & Same<SchemaScene, MpmScene> = true;
void inStep;

/**
 * Checks `value` against `schema` and returns it (the input itself, not valibot's copy);
 * throws a SceneError for the first problem, its field path prefixed by `field`.
 */
export function checkSchema<T>(schema: v.GenericSchema<T>, value: unknown, field = ''): T {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return value as T;
  throw toSceneError(r.issues[0], field);
}

/** The SceneError for a valibot issue: field path, value shown, what is wrong, what is allowed (the message). */
export function toSceneError(issue: Issue, field = ''): SceneError {
  let path = field;
  for (const p of issue.path ?? []) {
    const key = p.key as string | number;
    path = typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
  }
  const last = issue.path?.at(-1);
  if (issue.kind === 'schema' && issue.expected === 'never') {
    return sceneError(path, show(last?.value), 'is not a known field', issue.message);
  }
  if (issue.kind === 'schema' && issue.input === undefined) {
    return sceneError(path, undefined, `is missing${last ? misspelling(last.input, String(last.key)) : ''}`, issue.message);
  }
  return sceneError(path, show(issue.input), problem(issue, field), issue.message);
}

function problem(issue: Issue, field: string): string {
  const x = issue.input;
  if (typeof x === 'number' && !Number.isFinite(x)) return 'is not finite';
  switch (issue.type) {
    case 'picklist': case 'literal': return 'is not one of the allowed values';
    case 'variant': return field === '' && issue.path?.length === 1 ? 'is not a known scene kind' : 'is not a known kind';
    case 'integer': return 'is not an integer';
    case 'min_value': case 'max_value': case 'gt_value': case 'lt_value': return 'is out of range';
    case 'length': return 'has the wrong length';
    case 'min_length': return 'has too few items';
    case 'max_length': return typeof x === 'string' ? `is too long (${x.length} characters)` : 'has too many items';
    default: return 'has the wrong type';
  }
}
