// The shape of an `MpmScene` as data, and a small checker for it. A scene file is untrusted input:
// every field's type, presence, enum value, numeric range and array length is checked here, array
// lengths always before array items, so a malformed file fails fast with a message that names the
// field, the value and what is allowed. Rules that relate several fields (particles inside the
// grid, the stable time step, buffer sizes) live in validate.ts.
import type { ColliderDesc, GroupDesc, LossDesc, MpmScene, ParticlesDesc } from './scene';
import { MAX_COLLIDERS } from './layout';

/** A problem with a scene, for people: `field` is a path such as `groups[1].nu`. */
export class SceneError extends Error {
  /** Path of the offending field, relative to the scene (`groups[1].nu`); '' for the scene itself. */
  readonly field: string;
  /** The offending value as shown in the message ('undefined' when missing). */
  readonly value: string;
  /** What would have been accepted. */
  readonly allowed: string;

  /** `problem` says what is wrong (default 'is out of range'); the message reads
   *  `scene.<field> = <value> <problem>: allowed <allowed>`. */
  constructor(field: string, value: string | undefined, allowed: string, problem = 'is out of range') {
    const label = field === '' ? 'scene' : `scene.${field}`;
    super(`${label}${value === undefined ? '' : ` = ${value}`} ${problem}: allowed ${allowed}`);
    this.name = 'SceneError';
    this.field = field;
    this.value = value ?? 'undefined';
    this.allowed = allowed;
  }
}

/** SceneError with the arguments in reading order: field, value, what is wrong, what is allowed. */
export function sceneError(field: string, value: string | undefined, problem: string, allowed: string): SceneError {
  return new SceneError(field, value, allowed, problem);
}

/** A value as a person should see it in a message: short, and never the whole of a huge array. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (v === null || typeof v === 'boolean' || typeof v === 'undefined') return String(v);
  if (Array.isArray(v)) {
    // Length first: `every` on a huge (even holey) array would visit every index.
    const short = v.length <= 6 && v.every((e) => e === null || typeof e !== 'object');
    return short ? `[${v.map(show).join(', ')}]` : `an array of ${v.length} items`;
  }
  return typeof v === 'object' ? 'an object' : typeof v;
}

export const MAX_STEPS = 100_000;
export const RES_MIN = 8;
export const RES_MAX = 512;
export const MAX_GROUPS = 256;
export const MAX_CHANNELS = 64;
const MAX_NAME = 256;
const MAX_DESCRIPTION = 4096;

/** What array lengths may depend on; filled in by validateScene before the check. */
export interface SchemaContext {
  dim: number;
  /** Particle count, the length of particles.group. */
  n: number;
}

/** A fixed length, or one computed from the context with a word on why. */
export type Len = number | { of: (c: SchemaContext) => number; why: string };

export interface NumberSchema {
  kind: 'number';
  integer?: boolean;
  min?: number;
  max?: number;
  /** Bounds are inclusive unless marked open. */
  minOpen?: boolean;
  maxOpen?: boolean;
}
export interface StringSchema { kind: 'string'; maxLength: number }
export interface EnumSchema { kind: 'enum'; values: readonly (string | number)[] }
export interface ArraySchema { kind: 'array'; items: Schema; length?: Len; minLength?: number; maxLength?: Len }
export interface ObjectSchema { kind: 'object'; fields: Record<string, Field> }
export type Schema = NumberSchema | StringSchema | EnumSchema | ArraySchema | ObjectSchema;
export interface Field { schema: Schema; optional?: boolean }

/** One entry per field of T, optional exactly where T's field is (so scene.ts and this stay in step). */
type Fields<T> = { [K in keyof T]-?: undefined extends T[K] ? { schema: Schema; optional: true } : { schema: Schema } };
const object = <T>(fields: Fields<T>): ObjectSchema => ({ kind: 'object', fields });
const opt = (schema: Schema) => ({ schema, optional: true as const });
const req = (schema: Schema) => ({ schema });

const num = (o: Omit<NumberSchema, 'kind'> = {}): NumberSchema => ({ kind: 'number', ...o });
const positive = num({ min: 0, minOpen: true });
const nonNegative = num({ min: 0 });
const int = (min: number, max?: number) => num({ integer: true, min, max });
const str = (maxLength: number): StringSchema => ({ kind: 'string', maxLength });
const oneOf = (...values: (string | number)[]): EnumSchema => ({ kind: 'enum', values });
const array = (items: Schema, o: Omit<ArraySchema, 'kind' | 'items'> = {}): ArraySchema => ({ kind: 'array', items, ...o });
const PER_AXIS: Len = { of: (c) => c.dim, why: 'one per axis (dim)' };
const track = array(array(num(), { length: PER_AXIS }), { minLength: 1, maxLength: MAX_STEPS });
const perStep = (length: Len) => array(array(num(), { length }), { minLength: 1, maxLength: MAX_STEPS });
const ORIENTATION: Len = { of: (c) => (c.dim === 2 ? 1 : 4), why: '[angle] in 2D, a quaternion [x, y, z, w] in 3D' };
const SPIN: Len = { of: (c) => (c.dim === 2 ? 1 : 3), why: '[omega] in 2D, [wx, wy, wz] in 3D' };

const groupSchema = object<GroupDesc>({
  name: req(str(MAX_NAME)),
  material: req(oneOf('fluid', 'elastic', 'elastoplastic')),
  E: req(positive),
  nu: req(num({ min: 0, max: 0.5, minOpen: true, maxOpen: true })),
  density: req(positive),
  viscosity: opt(nonNegative),
  plastic: opt(object<NonNullable<GroupDesc['plastic']>>({
    thetaC: req(num({ min: 0, max: 1, minOpen: true, maxOpen: true })),
    thetaS: req(num({ min: 0, max: 1, minOpen: true, maxOpen: true })),
  })),
  actuator: opt(object<NonNullable<GroupDesc['actuator']>>({
    channel: req(int(0, MAX_CHANNELS - 1)),
    strength: req(num()),
    fiber: req(array(num(), { length: PER_AXIS })),
  })),
});

const colliderSchema = object<ColliderDesc>({
  name: req(str(MAX_NAME)),
  shape: req(oneOf('box', 'sphere', 'capsule')),
  halfExtents: opt(array(nonNegative, { length: PER_AXIS })),
  radius: opt(nonNegative),
  friction: req(nonNegative),
  position: req(track),
  velocity: req(track),
  orientation: opt(perStep(ORIENTATION)),
  angularVelocity: opt(perStep(SPIN)),
});

// group comes first: its length is the particle count the other arrays are checked against.
const particlesSchema = object<ParticlesDesc>({
  group: req(array(int(0))),
  x: req(array(num(), { length: { of: (c) => c.n * c.dim, why: 'dim x particle count (particles.group.length)' } })),
  v: req(array(num(), { length: { of: (c) => c.n * c.dim, why: 'dim x particle count (particles.group.length)' } })),
  vol: req(array(positive, { length: { of: (c) => c.n, why: 'one per particle (particles.group.length)' } })),
});

export const gridSchema = object<MpmScene['grid']>({
  res: req(array(int(RES_MIN, RES_MAX), { length: PER_AXIS })),
  dx: req(positive),
});

export const dimSchema = oneOf(2, 3);

export const sceneSchema = object<MpmScene>({
  name: req(str(MAX_NAME)),
  description: opt(str(MAX_DESCRIPTION)),
  dim: req(dimSchema),
  grid: req(gridSchema),
  dt: req(positive),
  steps: req(int(1, MAX_STEPS)),
  gravity: req(array(num(), { length: PER_AXIS })),
  boundary: req(object<MpmScene['boundary']>({
    walls: req(oneOf('sticky', 'slip', 'separate')),
    groundFriction: opt(nonNegative),
    boundCells: opt(int(0, RES_MAX / 2)),
  })),
  groups: req(array(groupSchema, { minLength: 1, maxLength: MAX_GROUPS })),
  particles: req(particlesSchema),
  colliders: req(array(colliderSchema, { maxLength: MAX_COLLIDERS })),
  actuation: opt(object<NonNullable<MpmScene['actuation']>>({
    channels: req(int(1, MAX_CHANNELS)),
    values: req(array(num(), { maxLength: MAX_CHANNELS * MAX_STEPS })),
  })),
  loss: opt(object<LossDesc>({
    kind: req(oneOf('com-target')),
    group: opt(int(0)),
    target: req(array(num(), { length: PER_AXIS })),
  })),
  optimize: opt(object<NonNullable<MpmScene['optimize']>>({
    params: opt(array(str(MAX_NAME), { minLength: 1, maxLength: 64 })),
    param: opt(oneOf('initialVelocity')),
    learningRate: req(positive),
    iterations: req(int(1, 1_000_000)),
  })),
  kind: opt(oneOf('mpm')),
});

/** Throws a SceneError at the first place where `value` does not fit `schema`. */
export function checkSchema(value: unknown, schema: Schema, field: string, ctx: SchemaContext): void {
  switch (schema.kind) {
    case 'number': return checkNumber(value, schema, field);
    case 'string':
      if (typeof value !== 'string') throw sceneError(field, show(value), 'has the wrong type', 'a string');
      if (value.length > schema.maxLength) {
        throw sceneError(field, show(value), `is too long (${value.length} characters)`, `at most ${schema.maxLength} characters`);
      }
      return;
    case 'enum':
      if (!schema.values.includes(value as string | number)) {
        throw sceneError(field, show(value), 'is not one of the allowed values', schema.values.map(show).join(', '));
      }
      return;
    case 'array': return checkArray(value, schema, field, ctx);
    case 'object': return checkObject(value, schema, field, ctx);
  }
}

function checkObject(value: unknown, schema: ObjectSchema, field: string, ctx: SchemaContext): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw sceneError(field, show(value), 'has the wrong type', 'an object');
  }
  const known = Object.keys(schema.fields);
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(schema.fields, key)) {
      throw sceneError(join(field, key), show((value as Record<string, unknown>)[key]), 'is not a known field',
        `the fields ${known.join(', ')}`);
    }
  }
  for (const key of known) {
    const f = schema.fields[key];
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      if (f.optional) continue;
      throw sceneError(join(field, key), undefined, 'is missing', describe(f.schema));
    }
    checkSchema(v, f.schema, join(field, key), ctx);
  }
}

function checkArray(value: unknown, schema: ArraySchema, field: string, ctx: SchemaContext): void {
  if (!Array.isArray(value)) throw sceneError(field, show(value), 'has the wrong type', `an array of ${describe(schema.items)}`);
  const n = value.length;
  const len = (l: Len) => (typeof l === 'number' ? l : l.of(ctx));
  const why = (l: Len) => (typeof l === 'number' ? '' : ` (${l.why})`);
  if (schema.length !== undefined && n !== len(schema.length)) {
    throw sceneError(field, show(value), 'has the wrong length', `exactly ${len(schema.length)} items${why(schema.length)}`);
  }
  if (schema.minLength !== undefined && n < schema.minLength) {
    throw sceneError(field, show(value), 'has too few items', `at least ${schema.minLength}`);
  }
  if (schema.maxLength !== undefined && n > len(schema.maxLength)) {
    throw sceneError(field, show(value), 'has too many items', `at most ${len(schema.maxLength)}${why(schema.maxLength)}`);
  }
  const items = schema.items;
  if (items.kind === 'number') {
    // The hot path (particle arrays): no path strings unless something is wrong.
    for (let i = 0; i < n; i++) if (numberProblem(value[i], items) !== undefined) checkNumber(value[i], items, `${field}[${i}]`);
    return;
  }
  for (let i = 0; i < n; i++) checkSchema(value[i], items, `${field}[${i}]`, ctx);
}

function numberProblem(v: unknown, s: NumberSchema): string | undefined {
  if (typeof v !== 'number') return 'has the wrong type';
  if (!Number.isFinite(v)) return 'is not finite';
  if (s.integer && !Number.isInteger(v)) return 'is not an integer';
  if (s.min !== undefined && (s.minOpen ? !(v > s.min) : !(v >= s.min))) return 'is out of range';
  if (s.max !== undefined && (s.maxOpen ? !(v < s.max) : !(v <= s.max))) return 'is out of range';
  return undefined;
}

function checkNumber(v: unknown, s: NumberSchema, field: string): void {
  const problem = numberProblem(v, s);
  if (problem === undefined) return;
  const allowed = problem === 'is out of range' ? range(s) : describe(s);
  throw sceneError(field, show(v), problem, allowed);
}

/** A numeric range as in mathematics: `(0, 0.5)`, `[8, 512]`, `> 0`, `>= 0`. */
export function range(s: NumberSchema): string {
  const lo = s.min === undefined ? undefined : `${s.minOpen ? '(' : '['}${s.min}`;
  const hi = s.max === undefined ? undefined : `${s.max}${s.maxOpen ? ')' : ']'}`;
  const r = lo && hi ? `${lo}, ${hi}`
    : lo ? `${s.minOpen ? '>' : '>='} ${s.min}`
      : hi ? `${s.maxOpen ? '<' : '<='} ${s.max}` : '';
  return s.integer ? `integers${r ? (lo && hi ? ` in ${r}` : ` ${r}`) : ''}` : r || 'any finite number';
}

/** What a schema accepts, in words. */
export function describe(s: Schema): string {
  switch (s.kind) {
    case 'number': {
      const r = range(s);
      if (s.integer) return r.replace(/^integers/, 'an integer');
      return r === 'any finite number' ? 'a finite number' : `a number ${r.startsWith('(') || r.startsWith('[') ? `in ${r}` : r}`;
    }
    case 'string': return 'a string';
    case 'enum': return `one of ${s.values.map(show).join(', ')}`;
    case 'array': return `an array of ${describe(s.items)}`;
    case 'object': return `an object with the fields ${Object.keys(s.fields).join(', ')}`;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
