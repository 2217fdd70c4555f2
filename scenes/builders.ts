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

/** Where fillMesh puts a mesh: its bounding box's centre, and its largest side after scaling. */
export interface MeshPlacement {
  center: number[];
  size: number;
}

/**
 * Fills the inside of a closed mesh with a particle lattice of `group` (a jelly bunny): in 3D a
 * polygon mesh ({ vertices, faces }, e.g. parseObj's), in 2D one closed polygon (`faces` omitted, or
 * [[0, 1, ..., n - 1]]: its corners in order). The mesh is scaled so that its bounding box's largest
 * side is `place.size` and centred at `place.center`. A lattice point is inside where a ray from
 * it along +x crosses the surface an odd number of times, so the mesh must be closed (watertight):
 * a lattice row that crosses it an odd number of times (an open mesh) or a flat mesh is refused. Winding does not matter,
 * and a shell inside another is a cavity. Points on the surface count on one side only. Returns the
 * number of particles added.
 */
export function fillMesh(
  scene: MpmScene, group: number, mesh: { vertices: number[][]; faces?: number[][] }, place: MeshPlacement, opts: FillOptions = {},
): number {
  const dim = scene.dim;
  const { vertices } = mesh;
  if (!Array.isArray(vertices) || vertices.length < dim + 1) throw new Error(`fillMesh: ${vertices?.length ?? 0} vertices: a closed ${dim === 2 ? 'polygon' : 'mesh'} needs at least ${dim + 1}`);
  vertices.forEach((q, i) => {
    if (!(Array.isArray(q) && q.length === dim && q.every(Number.isFinite))) throw new Error(`fillMesh: vertex ${i} = ${show(q)}: expected ${dim} finite coordinates`);
  });
  const faces = mesh.faces ?? [vertices.map((_, i) => i)];
  if (dim === 2 && faces.length !== 1) throw new Error(`fillMesh: a 2D mesh is one closed polygon (faces [[0, 1, ..., n - 1]]), got ${faces.length} faces`);
  faces.forEach((f, k) => {
    if (!(Array.isArray(f) && f.length >= 3)) throw new Error(`fillMesh: face ${k} has ${Array.isArray(f) ? f.length : 0} corners, expected at least 3`);
    const bad = f.find((i) => !(Number.isInteger(i) && i >= 0 && i < vertices.length));
    if (bad !== undefined) throw new Error(`fillMesh: face ${k} names vertex ${bad}, but there are ${vertices.length} vertices`);
  });
  if (!(Array.isArray(place.center) && place.center.length === dim && place.center.every(Number.isFinite))) {
    throw new Error(`fillMesh: center = ${show(place.center)}: expected ${dim} finite coordinates`);
  }
  if (!(Number.isFinite(place.size) && place.size > 0)) throw new Error(`fillMesh: size = ${place.size}: expected a finite side > 0`);
  const { lo: lo0, hi: hi0 } = boundingBox([...new Set(faces.flat())].map((i) => vertices[i]), dim);
  const side = Math.max(...hi0.map((h, a) => h - lo0[a]));
  if (!(side > 0)) throw new Error('fillMesh: every vertex of the faces is at one point');
  const flat = hi0.findIndex((h, a) => !(h > lo0[a]));
  if (flat >= 0) throw new Error(`fillMesh: the ${dim === 2 ? 'polygon' : 'mesh'} is flat: every vertex has ${'xyz'[flat]} = ${lo0[flat]}, so it encloses no ${dim === 2 ? 'area' : 'volume'}`);
  const scale = place.size / side;
  const at = vertices.map((q) => q.map((c, a) => place.center[a] + (c - (lo0[a] + hi0[a]) / 2) * scale));
  const lo = place.center.map((c, a) => c - ((hi0[a] - lo0[a]) / 2) * scale), hi = place.center.map((c, a) => c + ((hi0[a] - lo0[a]) / 2) * scale);
  const crossings = dim === 2 ? polygonCrossings(faces[0].map((i) => at[i])) : meshCrossings(faces, at, lo, hi);
  // the lattice visits a row along x point after point: its crossings are found once per row
  let rowKey = '', xs: number[] = [];
  const keep = (q: number[]) => {
    const k = q.slice(1).join(',');
    if (k !== rowKey) {
      rowKey = k; xs = crossings(q.slice(1));
      // a line enters and leaves a closed surface: an odd count is a hole or an edge of odd faces
      if (xs.length % 2 === 1) {
        const yz = q.slice(1).map((c, a) => (c - place.center[a + 1]) / scale + (lo0[a + 1] + hi0[a + 1]) / 2);
        throw new Error(`fillMesh: the line along x at y = ${yz[0].toPrecision(6)}, z = ${yz[1].toPrecision(6)} (the mesh's own coordinates) crosses its faces ${xs.length} times: a closed mesh is crossed an even number of times (in, then out); this one is open there (a hole, a missing face, an edge of one or three faces), so it has no inside to fill`);
      }
    }
    let n = 0;
    for (const x of xs) if (x < q[0]) n++;
    return n % 2 === 1;
  };
  return fillLattice(scene, group, lo, hi, keep, opts);
}

/** The bounding box of points of `dim` coordinates (a loop: Math.min(...xs) overflows the stack on large meshes). */
export function boundingBox(points: number[][], dim: number): { lo: number[]; hi: number[] } {
  const lo = new Array<number>(dim).fill(Infinity), hi = new Array<number>(dim).fill(-Infinity);
  for (const p of points) for (let a = 0; a < dim; a++) { lo[a] = Math.min(lo[a], p[a]); hi[a] = Math.max(hi[a], p[a]); }
  return { lo, hi };
}

/** Where the line y = c crosses a closed polygon's edges (half-open in y, so a corner counts once). */
function polygonCrossings(poly: number[][]): (yz: number[]) => number[] {
  return ([y]) => {
    const xs: number[] = [];
    for (let i = 0; i < poly.length; i++) {
      const a = poly[i], b = poly[(i + 1) % poly.length];
      if ((a[1] <= y) !== (b[1] <= y)) xs.push(a[0] + ((y - a[1]) / (b[1] - a[1])) * (b[0] - a[0]));
    }
    return xs;
  };
}

/**
 * Where the line (t, y, z) crosses a mesh's faces (each polygon fanned into triangles), through a
 * grid of the triangles' (y, z) boxes. A line through an edge or a corner of the projection counts
 * in exactly one of the triangles sharing it (the edge tests break ties by the edge's direction).
 */
function meshCrossings(faces: number[][], at: number[][], lo: number[], hi: number[]): (yz: number[]) => number[] {
  const tris: number[][][] = [];
  for (const f of faces) for (let k = 1; k + 1 < f.length; k++) tris.push([at[f[0]], at[f[k]], at[f[k + 1]]]);
  const bins = Math.max(1, Math.min(256, Math.ceil(Math.sqrt(tris.length))));
  const cell = (v: number, a: number) => Math.min(bins - 1, Math.max(0, Math.floor(((v - lo[a]) / (hi[a] - lo[a] || 1)) * bins)));
  const grid: number[][] = Array.from({ length: bins * bins }, () => []);
  tris.forEach((t, i) => {
    const y0 = cell(Math.min(t[0][1], t[1][1], t[2][1]), 1), y1 = cell(Math.max(t[0][1], t[1][1], t[2][1]), 1);
    const z0 = cell(Math.min(t[0][2], t[1][2], t[2][2]), 2), z1 = cell(Math.max(t[0][2], t[1][2], t[2][2]), 2);
    for (let y = y0; y <= y1; y++) for (let z = z0; z <= z1; z++) grid[y * bins + z].push(i);
  });
  // edge function of (p - a) against a -> b in the (y, z) plane; a zero is decided as if p were moved
  // by (e^2, e), the same tiny move for every triangle, so a line through a shared edge or corner
  // crosses exactly the triangles a line beside it would
  const side = (a: number[], b: number[], y: number, z: number) => {
    const e = (b[1] - a[1]) * (z - a[2]) - (b[2] - a[2]) * (y - a[1]);
    if (e !== 0) return e > 0;
    return b[1] - a[1] > 0 || (b[1] === a[1] && b[2] - a[2] < 0);
  };
  return ([y, z]) => {
    const xs: number[] = [];
    for (const i of grid[cell(y, 1) * bins + cell(z, 2)]) {
      const [a, b, c] = tris[i];
      const area = (b[1] - a[1]) * (c[2] - a[2]) - (b[2] - a[2]) * (c[1] - a[1]);
      if (area === 0) continue; // edge-on: the neighbours' edges decide
      const s0 = side(a, b, y, z), s1 = side(b, c, y, z), s2 = side(c, a, y, z);
      if (!(s0 === s1 && s1 === s2 && s0 === area > 0)) continue;
      // barycentric weights in the projection give the crossing's x: p - a = wb (b - a) + wc (c - a)
      const dy = y - a[1], dz = z - a[2];
      const wb = (dy * (c[2] - a[2]) - dz * (c[1] - a[1])) / area;
      const wc = ((b[1] - a[1]) * dz - (b[2] - a[2]) * dy) / area;
      xs.push(a[0] + wb * (b[0] - a[0]) + wc * (c[0] - a[0]));
    }
    return xs;
  };
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
  // a velocity of another dimension was read as far as start went, without a word
  if (start.length !== velocity.length) throw new Error(`linearTrack: start has ${start.length} coordinates and velocity ${velocity.length}: expected one per axis each`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`linearTrack: steps = ${steps}: expected an integer >= 1`);
  return Array.from({ length: steps }, (_, t) => start.map((s, i) => s + t * dt * velocity[i]));
}

/** The quaternion [x, y, z, w] of a turn by `angle` radians about the 3D `axis` (any length but zero). */
export function axisAngle(axis: number[], angle: number): number[] {
  // normalised here: a longer axis gave a quaternion that the scene's normalisation turned into
  // another angle ([0, 0, 2] and 1 rad became 1.48 rad)
  const n = Math.hypot(...axis);
  if (axis.length !== 3 || !(n > 0 && Number.isFinite(n))) throw new Error(`axisAngle: axis = [${axis.join(', ')}]: expected 3 finite coordinates, not all zero`);
  const s = Math.sin(angle / 2) / n;
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
  if (!(Number.isInteger(channels) && channels >= 1)) throw new Error(`setActuation: channels = ${channels}: expected an integer >= 1`);
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
