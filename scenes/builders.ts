// Builders for `MpmScene` data: small, deterministic functions so a scene module reads as a
// description of the scene, not as array arithmetic. They fill in the scene object they are given
// (the builder owns it until it is returned); nothing here touches the GPU or the file system.
import type { ColliderDesc, Dim, GroupDesc, MpmScene } from '../src/mpm/scene';
import { mulberry32 } from '../src/core/rng';
import { DEFAULT_MAX_PARTICLES } from '../src/mpm/validate';

export interface SceneBaseOptions {
  name: string;
  description?: string;
  dim: Dim;
  /** Grid nodes per axis. */
  res: number[];
  /** Cell size; defaults to 1 / res[0], so the domain's first axis spans [0, 1]. */
  dx?: number;
  dt: number;
  steps: number;
  gravity: number[];
  boundary: MpmScene['boundary'];
}

/** An empty scene: no groups, particles or colliders yet. */
export function sceneBase(o: SceneBaseOptions): MpmScene {
  if (o.res.length !== o.dim) throw new Error(`sceneBase: res has ${o.res.length} entries, expected dim = ${o.dim}`);
  if (o.gravity.length !== o.dim) throw new Error(`sceneBase: gravity has ${o.gravity.length} entries, expected dim = ${o.dim}`);
  const scene: MpmScene = {
    name: o.name,
    dim: o.dim,
    grid: { res: [...o.res], dx: o.dx ?? 1 / o.res[0] },
    dt: o.dt,
    steps: o.steps,
    gravity: [...o.gravity],
    boundary: { ...o.boundary },
    groups: [],
    particles: { x: [], v: [], group: [], vol: [] },
    colliders: [],
  };
  if (o.description !== undefined) scene.description = o.description;
  return scene;
}

/** Appends a material group and returns its index. */
export function addGroup(scene: MpmScene, group: GroupDesc): number {
  scene.groups.push(structuredClone(group));
  return scene.groups.length - 1;
}

export interface FillOptions {
  /** Particles per cell along each axis (ppc^DIM per cell); default 2. */
  ppc?: number;
  /** Initial velocity of every particle; default zero. */
  velocity?: number[];
  /** Random offset of each particle, as a fraction of the lattice spacing (0..1); default 0. */
  jitter?: number;
  /** Seed of the jitter RNG; default 1. */
  seed?: number;
}

/** Fills the box [lo, hi] with a particle lattice of `group`; returns the number of particles added. */
export function fillBox(scene: MpmScene, group: number, lo: number[], hi: number[], opts: FillOptions = {}): number {
  return fillLattice(scene, group, lo, hi, () => true, opts);
}

/** Fills the ball |x - center| <= radius (a disc in 2D); returns the number of particles added. */
export function fillSphere(
  scene: MpmScene, group: number, center: number[], radius: number, opts: FillOptions = {},
): number {
  const finite = (a: unknown) => Array.isArray(a) && a.length === scene.dim && a.every(Number.isFinite);
  if (!finite(center)) throw new Error(`fill: center = ${show(center)}: expected ${scene.dim} finite coordinates`);
  if (!(Number.isFinite(radius) && radius > 0)) throw new Error(`fill: radius = ${radius}: expected a finite radius > 0`);
  const lo = center.map((c) => c - radius);
  const hi = center.map((c) => c + radius);
  const inside = (p: number[]) => p.reduce((s, pi, i) => s + (pi - center[i]) ** 2, 0) <= radius * radius;
  return fillLattice(scene, group, lo, hi, inside, opts);
}

/** [a, b] as a message shows a vector (NaN and Infinity as such, where JSON would print null). */
const show = (p: unknown) => (Array.isArray(p) ? `[${p.map(String).join(', ')}]` : String(p));

// Lattice points lo + (k + 1/2) h, h = dx / ppc, inside [lo, hi] and accepted by `keep` (tested
// before jitter, so the count does not depend on the seed). Each particle gets volume h^DIM.
function fillLattice(
  scene: MpmScene, group: number, lo: number[], hi: number[], keep: (p: number[]) => boolean, opts: FillOptions,
): number {
  const dim = scene.dim;
  if (!(group >= 0 && group < scene.groups.length)) {
    throw new Error(`fill: group ${group} does not exist (the scene has ${scene.groups.length}; call addGroup first)`);
  }
  if (lo.length !== dim || hi.length !== dim) throw new Error(`fill: lo and hi need ${dim} coordinates`);
  for (const [name, p] of [['lo', lo], ['hi', hi]] as const) {
    if (!p.every(Number.isFinite)) throw new Error(`fill: ${name} = ${show(p)}: expected ${dim} finite coordinates`);
  }
  const flat = lo.findIndex((l, i) => !(hi[i] > l));
  if (flat >= 0) throw new Error(`fill: hi = ${show(hi)} is not above lo = ${show(lo)} on axis ${flat}: expected hi > lo on every axis`);
  const ppc = opts.ppc ?? 2;
  if (!Number.isInteger(ppc) || ppc < 1) throw new Error(`fill: ppc = ${ppc} must be a positive integer`);
  const velocity = opts.velocity ?? new Array<number>(dim).fill(0);
  if (velocity.length !== dim) throw new Error(`fill: velocity needs ${dim} components`);
  if (!velocity.every(Number.isFinite)) throw new Error(`fill: velocity = ${show(velocity)}: expected ${dim} finite components`);
  const jitter = opts.jitter ?? 0;
  if (!(jitter >= 0 && jitter <= 1)) throw new Error(`fill: jitter = ${jitter}: expected a fraction of the lattice spacing in [0, 1]`);
  const rng = mulberry32(opts.seed ?? 1);
  const h = scene.grid.dx / ppc;
  const vol = h ** dim;
  // The small epsilon keeps a box whose side is a whole number of spacings from losing a row.
  const counts = lo.map((l, i) => Math.max(0, Math.floor((hi[i] - l) / h + 1e-6)));
  const total = counts.reduce((a, b) => a * b, 1);
  // a sphere keeps more than half of its box's points (pi/4 in 2D, pi/6 in 3D): twice a scene's
  // particles bounds every fill a scene can hold, and keeps a mistyped size from walking for ever
  if (total > 2 * DEFAULT_MAX_PARTICLES) {
    throw new Error(`fill: [${lo.join(', ')}] to [${hi.join(', ')}] at ppc ${ppc} spans ${total.toPrecision(4)} lattice points: allowed at most ${2 * DEFAULT_MAX_PARTICLES} (twice the ${DEFAULT_MAX_PARTICLES} particles a scene may have)`);
  }
  const { x, v, group: g, vol: pv } = scene.particles;
  const p = new Array<number>(dim);
  const pts: number[][] = [];
  for (let k = 0; k < total; k++) {
    let r = k;
    for (let i = 0; i < dim; i++) { p[i] = lo[i] + ((r % counts[i]) + 0.5) * h; r = Math.floor(r / counts[i]); }
    if (!keep(p)) continue;
    pts.push(p.map((pi) => pi + (jitter > 0 ? (rng() - 0.5) * jitter * h : 0)));
  }
  const key = stencilKey(scene);
  for (const q of runAligned(pts, pts.map(key), dim)) {
    x.push(...q);
    v.push(...velocity);
    g.push(group);
    pv.push(vol);
  }
  return pts.length;
}

/**
 * Items in stencil-base order (their keys, then their order in `items`), the bases with 2^DIM
 * items first: the scatter kernels take 2^DIM consecutive particles per invocation (scatterRun in
 * src/shaders/compose.ts), so in plain base order the lone particles of a box's first layer (one
 * per axis there, ppc 2) shift every later base off the invocations' boundaries, and each
 * invocation straddles two bases (2D 24k bench row at its start: 0.50 flushes per particle in
 * plain order, 0.26 in this one; 3D fluid: 0.27 and 0.16).
 */
function runAligned<T>(items: T[], keys: number[], dim: number): T[] {
  const sorted = items.map((q, i) => ({ q, i, k: keys[i] })).sort((a, b) => a.k - b.k || a.i - b.i);
  const count = new Map<number, number>();
  for (const s of sorted) count.set(s.k, (count.get(s.k) ?? 0) + 1);
  const full = (s: { k: number }) => count.get(s.k) === 2 ** dim;
  return [...sorted.filter(full), ...sorted.filter((s) => !full(s))].map((s) => s.q);
}

/**
 * The row-major index of the base node of a position's B-spline stencil (floor(x / dx - 1/2)).
 * The scatter kernels sum consecutive particles that share a base before their atomics
 * (src/shaders/mpm/p2g.wgsl): ordered by this key, the 2^DIM particles around each node form one
 * run, which makes P2G several times cheaper in atomics. fill* store particles in this order
 * (runAligned).
 */
function stencilKey(scene: MpmScene): (q: ArrayLike<number>) => number {
  const { dx, res } = scene.grid;
  return (q) => {
    let k = 0;
    for (let i = scene.dim - 1; i >= 0; i--) k = k * res[i] + Math.floor(q[i] / dx - 0.5);
    return k;
  };
}

/**
 * Sorts particles stably by group and then by stencil base (see stencilKey), in each group the
 * bases with 2^DIM particles first (runAligned): the fastest order for the GPU, with each group
 * contiguous. For scenes whose particles come from elsewhere (a file,
 * a mesh sampler); fill* already store theirs in this order. Returns the same scene.
 */
export function sortByStencilBase(scene: MpmScene): MpmScene {
  const { x, group } = scene.particles;
  const dim = scene.dim;
  const key = stencilKey(scene);
  const keys = group.map((_, p) => key(x.slice(p * dim, p * dim + dim)));
  const byGroup = new Map<number, number[]>();
  group.forEach((g, p) => { if (!byGroup.has(g)) byGroup.set(g, []); byGroup.get(g)!.push(p); });
  const order = [...byGroup.keys()].sort((a, b) => a - b).flatMap((g) => {
    const ps = byGroup.get(g)!;
    return runAligned(ps, ps.map((p) => keys[p]), dim);
  });
  return reorderParticles(scene, order);
}

/** Replaces the particles by particle order[0], order[1], ... (x, v, group and vol together). */
function reorderParticles(scene: MpmScene, order: number[]): MpmScene {
  const { x, v, group, vol } = scene.particles;
  const dim = scene.dim;
  scene.particles = {
    x: order.flatMap((p) => x.slice(p * dim, p * dim + dim)),
    v: order.flatMap((p) => v.slice(p * dim, p * dim + dim)),
    group: order.map((p) => group[p]),
    vol: order.map((p) => vol[p]),
  };
  return scene;
}

export interface ColliderOptions extends Omit<ColliderDesc, 'name'> {
  name?: string;
}

/** Appends a kinematic collider and returns its index. */
export function addCollider(scene: MpmScene, c: ColliderOptions): number {
  const desc: ColliderDesc = { ...structuredClone(c), name: c.name ?? `${c.shape}${scene.colliders.length}` };
  scene.colliders.push(desc);
  return scene.colliders.length - 1;
}

/** Positions of a body moving at constant velocity: row t is start + t * dt * velocity, t < steps. */
export function linearTrack(start: number[], velocity: number[], steps: number, dt: number): number[][] {
  return Array.from({ length: steps }, (_, t) => start.map((s, i) => s + t * dt * velocity[i]));
}

/** The quaternion [x, y, z, w] of a turn by `angle` radians about the unit 3D `axis`. */
export function axisAngle(axis: number[], angle: number): number[] {
  const s = Math.sin(angle / 2);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

/** The quaternion product a b (b applied first), [x, y, z, w]. */
export function quatMul(a: number[], b: number[]): number[] {
  const [ax, ay, az, aw] = a, [bx, by, bz, bw] = b;
  return [aw * bx + bw * ax + ay * bz - az * by, aw * by + bw * ay + az * bx - ax * bz,
    aw * bz + bw * az + ax * by - ay * bx, aw * bw - ax * bx - ay * by - az * bz];
}

/**
 * Orientations of a body turning at a constant angular velocity (in the world frame) from `start`:
 * 2D, start [angle] and omega [w]: row t is [angle + t dt w]; 3D, start a quaternion and omega
 * [wx, wy, wz]: row t is the turn by t dt |omega| about omega, applied after start.
 */
export function turningTrack(start: number[], omega: number[], steps: number, dt: number): number[][] {
  if (start.length === 1) return Array.from({ length: steps }, (_, t) => [start[0] + t * dt * omega[0]]);
  const rate = Math.hypot(...omega);
  const axis = rate > 0 ? omega.map((w) => w / rate) : [0, 0, 1];
  return Array.from({ length: steps }, (_, t) => quatMul(axisAngle(axis, t * dt * rate), start));
}

/** Sets the actuation a[t][channel]; `values` flat [T * channels] or as rows [T][channels]. */
export function setActuation(scene: MpmScene, channels: number, values: number[] | number[][]): void {
  const flat = values.length > 0 && Array.isArray(values[0]) ? (values as number[][]).flat() : [...(values as number[])];
  if (flat.length % channels !== 0) {
    throw new Error(`setActuation: ${flat.length} values is not a whole number of rows of ${channels} channels`);
  }
  scene.actuation = { channels, values: flat };
}

/**
 * Sorts particles stably by group, so each group's particles are contiguous (the GPU model keeps
 * one [start, count] range per group). Returns the same scene.
 */
export function finalizeScene(scene: MpmScene): MpmScene {
  const { group } = scene.particles;
  const n = group.length;
  // Counting sort: stable and linear.
  const start = new Array<number>(scene.groups.length + 1).fill(0);
  for (const g of group) {
    if (!(Number.isInteger(g) && g >= 0 && g < scene.groups.length)) {
      throw new Error(`finalizeScene: particle group ${g} does not exist (the scene has ${scene.groups.length})`);
    }
    start[g + 1]++;
  }
  for (let k = 0; k < scene.groups.length; k++) start[k + 1] += start[k];
  const order = new Array<number>(n);
  for (let p = 0; p < n; p++) order[start[group[p]]++] = p;
  return reorderParticles(scene, order);
}

/** Gravity in domain units per second squared (the domain's first axis spans 1 unit). */
export const GRAVITY = 9.8;

/** Downward gravity along axis 1 (the ground is the low side of axis 1). */
export function gravity(dim: Dim): number[] {
  return dim === 2 ? [0, -GRAVITY] : [0, -GRAVITY, 0];
}
