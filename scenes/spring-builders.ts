// Builders for the parts of a `SpringScene` (src/springs/scene.ts): lattice robots in the style of
// DiffTaichi's mass_spring.py (2D cells, 3D voxels), a cloth grid, and a shell from any polygon
// mesh (an OBJ file through src/springs/obj.ts). Each returns vertices, springs or triangles and
// the indices a scene needs; a scene module adds materials, contact and a loss. Pure functions,
// deterministic, nothing touches the GPU or the file system.
import type { SpringsDesc, TrianglesDesc, VerticesDesc } from '../src/springs/scene';
import { MIN_TRIANGLE_SHAPE } from '../src/springs/mesh-checks';
import { DEFAULT_MAX_VERTICES } from '../src/springs/validate';

/** A robot's vertices and springs, and the vertices of each cell. */
export interface LatticeRobot {
  vertices: VerticesDesc;
  /** Rest lengths absent: the initial distances. `actuator` present when `actuated` was given. */
  springs: SpringsDesc;
  /** [cells][2^dim] the corner vertices of each cell, in the order of `cells`. */
  cellVertices: number[][];
}

export interface LatticeOptions<P extends number[]> {
  /** Cell edge length (domain units). */
  cell: number;
  /** Position of lattice point (0, 0[, 0]): cell c spans origin + c cell to origin + (c + 1) cell. */
  origin: P;
  /** Mass of each vertex (default 1). */
  mass?: number;
  /** Material index of every spring (default 0). */
  material?: number;
  /**
   * Per actuation channel, the indices (into `cells`) of the cells whose springs it drives. A
   * spring shared by several cells takes the channel of the first of them (in `cells` order) that
   * is actuated; a cell may be in one channel only.
   */
  actuated?: number[][];
}

/**
 * A DiffTaichi-style 2D robot from unit cells at integer lattice coordinates: a vertex at each
 * distinct cell corner, a spring on every cell edge (an edge shared by two cells once) and on
 * both diagonals of each cell. A 2 x 1 block has 6 vertices and 11 springs.
 */
export function robotFromCells2d(cells: [number, number][], opts: LatticeOptions<[number, number]>): LatticeRobot {
  return latticeRobot(2, cells, opts);
}

/**
 * The 3D robot from unit voxels: a vertex at each distinct corner, springs on the 12 edges, the
 * 12 face diagonals and the 4 body diagonals of every voxel (every pair of its corners), each
 * spring once. One voxel has 8 vertices and 28 springs.
 */
export function robotFromVoxels3d(voxels: [number, number, number][], opts: LatticeOptions<[number, number, number]>): LatticeRobot {
  return latticeRobot(3, voxels, opts);
}

/** Throws `${who}: ${name} = ${value}: expected ${what}` unless ok: a builder's options checked where they are given. */
function expectOption(ok: boolean, who: string, name: string, value: unknown, what: string): void {
  if (!ok) throw new Error(`${who}: ${name} = ${JSON.stringify(value) ?? String(value)}: expected ${what}`);
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
const finiteVector = (p: unknown, n: number) => Array.isArray(p) && p.length === n && p.every((c) => typeof c === 'number' && Number.isFinite(c));

function latticeRobot(dim: 2 | 3, cells: number[][], opts: LatticeOptions<number[]>): LatticeRobot {
  const who = dim === 2 ? 'robotFromCells2d' : 'robotFromVoxels3d';
  expectOption(cells.length > 0, who, 'cells', cells, 'at least one cell');
  expectOption(positive(opts.cell), who, 'cell', opts.cell, 'a finite edge length > 0');
  expectOption(finiteVector(opts.origin, dim), who, 'origin', opts.origin, `${dim} finite coordinates`);
  expectOption(opts.mass === undefined || positive(opts.mass), who, 'mass', opts.mass, 'a finite mass > 0 per vertex');
  const channelOf = cellChannels(cells.length, opts.actuated);
  const x: number[] = [];
  const vertexAt = new Map<string, number>();
  const springAt = new Map<string, number>();
  const cellsSeen = new Set<string>();
  const cellVertices: number[][] = [];
  const pairs: number[] = [], actuator: number[] = [];
  cells.forEach((c, k) => {
    if (c.length !== dim || !c.every(Number.isInteger)) throw new Error(`cell ${k} = ${JSON.stringify(c)}: expected ${dim} integer coordinates`);
    if (cellsSeen.has(c.join(','))) throw new Error(`cell ${k} = ${JSON.stringify(c)} appears twice`);
    cellsSeen.add(c.join(','));
    // Corner b of the cell: bit a of b set means +1 along axis a.
    const corners = Array.from({ length: 1 << dim }, (_, b) => {
      const p = c.map((ci, a) => ci + ((b >> a) & 1));
      const key = p.join(',');
      let i = vertexAt.get(key);
      if (i === undefined) {
        i = vertexAt.size;
        vertexAt.set(key, i);
        x.push(...p.map((pa, a) => opts.origin[a] + pa * opts.cell));
      }
      return i;
    });
    cellVertices.push(corners);
    // Every pair of corners: edges, face diagonals and (3D) body diagonals.
    for (let a = 0; a < corners.length; a++) {
      for (let b = a + 1; b < corners.length; b++) {
        const key = `${Math.min(corners[a], corners[b])}-${Math.max(corners[a], corners[b])}`;
        const s = springAt.get(key);
        if (s === undefined) {
          springAt.set(key, actuator.length);
          pairs.push(corners[a], corners[b]);
          actuator.push(channelOf[k]);
        } else if (actuator[s] < 0) {
          // Shared with an earlier, passive cell: this cell's channel (if any) drives it.
          actuator[s] = channelOf[k];
        }
      }
    }
  });
  const n = vertexAt.size, S = pairs.length / 2;
  const springs: SpringsDesc = { pairs, material: new Array(S).fill(opts.material ?? 0) };
  if (opts.actuated) springs.actuator = actuator;
  return { vertices: { x, v: new Array(n * dim).fill(0), mass: new Array(n).fill(opts.mass ?? 1) }, springs, cellVertices };
}

function cellChannels(count: number, actuated: number[][] | undefined): number[] {
  const channel = new Array<number>(count).fill(-1);
  actuated?.forEach((list, ch) => list.forEach((k) => {
    if (!Number.isInteger(k) || k < 0 || k >= count) throw new Error(`actuated[${ch}] names cell ${k}, but there are ${count} cells`);
    if (channel[k] >= 0) throw new Error(`cell ${k} is in channels ${channel[k]} and ${ch}: a cell may be in one channel only`);
    channel[k] = ch;
  }));
  return channel;
}

/** A triangle mesh's vertices (with lumped masses) and triangles. */
export interface ShellMesh {
  vertices: VerticesDesc;
  triangles: TrianglesDesc;
}

export interface ClothOptions {
  /** Quads along the first and second axis of the plane. */
  nx: number;
  ny: number;
  /** Side lengths along those axes. */
  size: [number, number];
  /** Position of vertex (0, 0). */
  origin: [number, number, number];
  /** 'xz': a horizontal sheet (i along x, j along z); 'xy': a vertical one (i along x, j along y). */
  plane: 'xz' | 'xy';
  /** Mass per unit area. */
  density: number;
  /** Material index of every triangle (default 0). */
  material?: number;
}

/** Index of cloth vertex (i, j), i in [0, nx], j in [0, ny]. */
export function clothVertex(nx: number, i: number, j: number): number {
  return j * (nx + 1) + i;
}

/** The four corner vertices of an nx x ny cloth: (0, 0), (nx, 0), (0, ny), (nx, ny). */
export function clothCorners(nx: number, ny: number): [number, number, number, number] {
  return [clothVertex(nx, 0, 0), clothVertex(nx, nx, 0), clothVertex(nx, 0, ny), clothVertex(nx, nx, ny)];
}

/**
 * A rectangular cloth of (nx + 1)(ny + 1) vertices and 2 nx ny triangles, the quads' diagonals
 * alternating in a checkerboard (no preferred shear direction), counter-clockwise seen from +y
 * ('xz') or +z ('xy'). Each vertex weighs density x (area of its triangles) / 3.
 */
export function clothGrid(o: ClothOptions): ShellMesh {
  if (!(Number.isInteger(o.nx) && o.nx >= 1 && Number.isInteger(o.ny) && o.ny >= 1)) {
    throw new Error(`clothGrid: nx = ${o.nx}, ny = ${o.ny}: expected integers >= 1`);
  }
  const n = (o.nx + 1) * (o.ny + 1);
  if (n > DEFAULT_MAX_VERTICES) {
    throw new Error(`clothGrid: nx = ${o.nx}, ny = ${o.ny} make ${n} vertices: allowed at most ${DEFAULT_MAX_VERTICES} ((nx + 1)(ny + 1), the vertices a scene may have)`);
  }
  expectOption(finiteVector(o.size, 2) && o.size.every(positive), 'clothGrid', 'size', o.size, 'two finite side lengths > 0');
  expectOption(finiteVector(o.origin, 3), 'clothGrid', 'origin', o.origin, '3 finite coordinates');
  expectOption(o.plane === 'xz' || o.plane === 'xy', 'clothGrid', 'plane', o.plane, '"xz" (horizontal) or "xy" (vertical)');
  expectOption(positive(o.density), 'clothGrid', 'density', o.density, 'a finite mass per unit area > 0');
  const [w, h] = o.size;
  const x: number[] = [];
  for (let j = 0; j <= o.ny; j++) {
    for (let i = 0; i <= o.nx; i++) {
      const u = (i * w) / o.nx, v = (j * h) / o.ny;
      const d = o.plane === 'xz' ? [u, 0, v] : [u, v, 0];
      x.push(o.origin[0] + d[0], o.origin[1] + d[1], o.origin[2] + d[2]);
    }
  }
  // i along x and j along z gives x cross z = -y: swapping two corners turns the xz sheet up.
  const flip = o.plane === 'xz';
  const indices: number[] = [];
  const tri = (a: number, b: number, c: number) => (flip ? indices.push(a, c, b) : indices.push(a, b, c));
  for (let j = 0; j < o.ny; j++) {
    for (let i = 0; i < o.nx; i++) {
      const a = clothVertex(o.nx, i, j), b = a + 1, c = a + o.nx + 1, d = c + 1;
      if ((i + j) % 2 === 0) { tri(a, b, d); tri(a, d, c); } else { tri(a, b, c); tri(b, d, c); }
    }
  }
  return shell(x, indices, o.density, o.material ?? 0);
}

/** A mesh's problem from triangleMesh: `face` is the index of the face it is about, where there is one. */
export class MeshError extends Error {
  constructor(readonly problem: string, readonly face?: number) {
    super(`triangleMesh: ${problem}`);
    this.name = 'MeshError';
  }
}

/** How triangleMesh's errors name a face and a vertex (parseObj's caller: the file's own numbers). */
export interface MeshNames {
  /** Default `face k [corners]`, 0-based. */
  face?: (k: number) => string;
  /** Default `vertex i`, 0-based. */
  vertex?: (i: number) => string;
}

/**
 * A shell from a polygon mesh (parseObj's output, say): each polygon fanned from its first corner
 * whose fan neither folds nor collapses (seen along the polygon's normal): any convex polygon, also
 * one with collinear corners, and any star-shaped from a corner. Each vertex weighs density x (area
 * of its triangles) / 3. Throws MeshError for a face of fewer than 3 corners, an index out of range or repeated, a polygon
 * no fan triangulates (split it), or a vertex in no face or only in zero-area ones (it would have no mass);
 * `names` says how its message names a face and a vertex.
 */
export function triangleMesh(vertices: number[][], faces: number[][], opts: { density: number; material?: number; names?: MeshNames }): ShellMesh {
  expectOption(positive(opts.density), 'triangleMesh', 'density', opts.density, 'a finite mass per unit area > 0');
  const vName = opts.names?.vertex ?? ((i: number) => `vertex ${i}`);
  const fName = opts.names?.face ?? ((k: number) => `face ${k} [${faces[k].join(', ')}]`);
  const x: number[] = [];
  vertices.forEach((p, i) => {
    if (p.length !== 3) throw new MeshError(`${vName(i)} has ${p.length} coordinates, expected 3`);
    if (!p.every(Number.isFinite)) throw new MeshError(`${vName(i)} = [${p.join(', ')}]: allowed 3 finite coordinates`);
    x.push(...p);
  });
  const indices: number[] = [];
  faces.forEach((f, k) => {
    if (f.length < 3) throw new MeshError(`face ${k} has ${f.length} corners, expected at least 3`, k);
    const bad = f.find((i) => !Number.isInteger(i) || i < 0 || i >= vertices.length);
    if (bad !== undefined) throw new MeshError(`face ${k} names vertex ${bad}, but there are ${vertices.length} vertices`, k);
    const twice = f.find((i, c) => f.indexOf(i) !== c);
    if (twice !== undefined) throw new MeshError(`${fName(k)} names ${vName(twice)} twice: a polygon's corners are distinct vertices`, k);
    const apex = f.length === 3 ? 0 : fanApex(vertices, f);
    if (apex < 0) {
      const same = f.findIndex((i, c) => vertices[i].every((q, a) => q === vertices[f[(c + 1) % f.length]][a]));
      throw new MeshError(same >= 0
        ? `${fName(k)} has two corners at one point (${vName(f[same])} and ${vName(f[(same + 1) % f.length])}), so every fan of it has a triangle of zero area: weld the two (one vertex for both) or drop the repeated corner`
        : `${fName(k)} has no corner to fan it from whose triangles neither fold over nor collapse (a polygon that is not star-shaped from a corner): split it into triangles or convex polygons`, k);
    }
    for (let c = 1; c + 1 < f.length; c++) indices.push(f[apex], f[(apex + c) % f.length], f[(apex + c + 1) % f.length]);
  });
  const mesh = shell(x, indices, opts.density, opts.material ?? 0);
  const lonely = mesh.vertices.mass.findIndex((m) => m === 0);
  if (lonely >= 0) {
    const face = faces.findIndex((f) => f.includes(lonely));
    throw face < 0 ? new MeshError(`${vName(lonely)} is in no face, so it would have no mass`)
      : new MeshError(`${vName(lonely)} is only in faces of zero area (${fName(face)}), so it would have no mass`, face);
  }
  return mesh;
}

// The first corner of polygon f whose fan has every triangle turning the polygon's way (Newell's
// normal) with an area above the scene check's floor (MIN_TRIANGLE_SHAPE); -1 if none has.
function fanApex(p: number[][], f: number[]): number {
  const n = [0, 0, 0];
  let longest = 0;
  f.forEach((i, c) => {
    const a = p[i], b = p[f[(c + 1) % f.length]];
    n[0] += (a[1] - b[1]) * (a[2] + b[2]);
    n[1] += (a[2] - b[2]) * (a[0] + b[0]);
    n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    longest = Math.max(longest, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  });
  const len = Math.hypot(...n);
  if (!(len > 0)) return -1;
  const floor = MIN_TRIANGLE_SHAPE * longest ** 2;
  const turnsOnward = (a: number[], b: number[], c: number[]) => {
    const u = [0, 1, 2].map((k) => b[k] - a[k]), w = [0, 1, 2].map((k) => c[k] - a[k]);
    const cross = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
    return (0.5 * (cross[0] * n[0] + cross[1] * n[1] + cross[2] * n[2])) / len > floor;
  };
  for (let apex = 0; apex < f.length; apex++) {
    let ok = true;
    for (let c = 1; ok && c + 1 < f.length; c++) ok = turnsOnward(p[f[apex]], p[f[(apex + c) % f.length]], p[f[(apex + c + 1) % f.length]]);
    if (ok) return apex;
  }
  return -1;
}

function shell(x: number[], indices: number[], density: number, material: number): ShellMesh {
  const T = indices.length / 3, n = x.length / 3;
  return {
    vertices: { x, v: new Array(3 * n).fill(0), mass: lumpedMasses(x, indices, density) },
    triangles: { indices, material: new Array(T).fill(material) },
  };
}

/** Per vertex, density x (area of the triangles around it) / 3: each triangle's mass split equally among its corners. */
export function lumpedMasses(x: number[], indices: number[], density: number): number[] {
  const mass = new Array<number>(x.length / 3).fill(0);
  for (let t = 0; t < indices.length / 3; t++) {
    const [a, b, c] = [indices[3 * t], indices[3 * t + 1], indices[3 * t + 2]];
    const u = [0, 1, 2].map((k) => x[3 * b + k] - x[3 * a + k]);
    const w = [0, 1, 2].map((k) => x[3 * c + k] - x[3 * a + k]);
    const area = 0.5 * Math.hypot(u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]);
    for (const i of [a, b, c]) mass[i] += (density * area) / 3;
  }
  return mass;
}
