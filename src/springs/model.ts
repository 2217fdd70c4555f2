// A SpringScene compiled into flat arrays: the static Model (topology, rest shape, per-vertex
// adjacency) that both the WGSL kernels and the float64 reference read, and the layout of the
// control vector (materials, actuation, collider and gripper tracks). Rest lengths, triangle rest
// frames and hinge weights are rounded to float32 here, once, so GPU and reference share them.
import { actuationValues } from '../core/periodic';
import type { SpringScene } from './scene';
import { identityOrientation, orientComps, spinComps } from '../mpm/layout';

/** What an adjacency entry points at; packed into one u32 as kind << 30 | slot << 28 | index. */
export const ELEM_SPRING = 0;
export const ELEM_TRIANGLE = 1;
export const ELEM_HINGE = 2;
export const MAX_ELEMENTS = 1 << 28;

/** A vertex's motion: integrated, held in place, or carried by gripper g (FLAG_GRIPPER + g). */
export const FLAG_FREE = 0;
export const FLAG_PINNED = 1;
export const FLAG_GRIPPER = 2;

/** Differentiable floats per material: stiffness, damping, mu, lambda, bending. */
export const MAT_STRIDE = 5;
export const MAT_FIELDS = ['stiffness', 'damping', 'mu', 'lambda', 'bending'] as const;

export interface ColliderModel {
  shape: 0 | 1 | 2; // box, sphere, capsule (as MPM)
  halfExtents: [number, number, number];
  radius: number;
  friction: number;
}

/**
 * A collider's per-step row in the control vector: position (dim), velocity (dim), orientation (an
 * angle in 2D, a quaternion in 3D) and angular velocity (a scalar in 2D, a vector in 3D), as MPM's.
 */
export function colliderRow(dim: number): { pos: number; vel: number; orient: number; spin: number; width: number } {
  return { pos: 0, vel: dim, orient: 2 * dim, spin: 2 * dim + orientComps(dim), width: 2 * dim + orientComps(dim) + spinComps(dim) };
}

export interface SpringModel {
  dim: 2 | 3;
  n: number;
  dt: number;
  gravity: number[];
  /** Per-step velocity factor exp(-damping dt). */
  decay: number;
  horizon: number;
  /** Vertex flags (FLAG_*), 1 / mass, gripper offsets [n * 3]. */
  flag: Uint32Array;
  invMass: Float32Array;
  gripOffset: Float32Array;
  /** [S * 2] endpoints, [S] rest length, material, channel (-1: none). */
  springPairs: Uint32Array;
  springRest: Float32Array;
  springMat: Uint32Array;
  springChan: Int32Array;
  actuationStrength: number;
  /** [T * 3] vertices, [T] material, [T * 4] inverse rest frame (column-major 2x2), [T] rest area. */
  triIdx: Uint32Array;
  triMat: Uint32Array;
  triDmInv: Float32Array;
  triArea: Float32Array;
  /** [H * 4] (a, b, c, d): edge a->b of the triangle (a, b, c), wing d across it; [H] material, weight 3|e|^2/(A1+A2), rest angle. */
  hingeIdx: Uint32Array;
  hingeMat: Uint32Array;
  hingeWeight: Float32Array;
  hingeRest0: Float32Array;
  /** Any plastic material: the hinges' rest angles are state (the state's tail). */
  plastic: boolean;
  /** Per material: yield angle (0: elastic). */
  yieldAngle: Float32Array;
  /** CSR adjacency: vertex i's entries are adj[adjStart[i] .. adjStart[i + 1]). */
  adjStart: Uint32Array;
  adj: Uint32Array;
  ground: { height: number; friction: number; softness: number } | null;
  colliders: ColliderModel[];
  colliderSoftness: number;
  /**
   * Self-contact: thickness and stiffness of the penalty; `triangles`: vertex-triangle pairs too (3D
   * with triangles), each vertex p leaving out the triangles listed in excl[exclStart[p] ..
   * exclStart[p + 1]) (sorted: the triangles of p and of its edge neighbours, near in the mesh).
   */
  selfContact: {
    thickness: number; stiffness: number; triangles: boolean; exclStart: Uint32Array; excl: Uint32Array;
    /** Triangles anchored at vertex j: anchor[anchorStart[j] .. anchorStart[j + 1]) (the vertex side finds a triangle through its anchor corner). */
    anchorStart: Uint32Array; anchor: Uint32Array;
  } | null;
  nMaterials: number;
  nChannels: number;
  nGrippers: number;
  /** Control vector of one copy: offsets of its parts and its length. */
  ctrl: { actOff: number; colOff: number; gripOff: number; size: number };
  /** Control vector of the scene (one copy), float32-rounded. */
  ctrl0: Float32Array;
  /** Initial state of one copy: [n][2 dim] (x, v), then the hinges' rest angles when plastic. */
  state0: Float32Array;
}

const f32 = Math.fround;

/**
 * Vertex-triangle self-contact's lists: per vertex p, the triangles it leaves out, those of p and of
 * p's edge neighbours, sorted (a flat mesh's next triangles lie closer than one edge, under the
 * thickness); and per vertex, the triangles anchored at it.
 */
type ContactLists = Pick<NonNullable<SpringModel['selfContact']>, 'triangles' | 'exclStart' | 'excl' | 'anchorStart' | 'anchor'>;
function contactLists(n: number, triIdx: Uint32Array, x: number[], triangles: boolean): ContactLists {
  const exclStart = new Uint32Array(n + 1), anchorStart = new Uint32Array(n + 1);
  if (!triangles) return { triangles, exclStart, excl: new Uint32Array(0), anchorStart, anchor: new Uint32Array(0) };
  const T = triIdx.length / 3, tris: number[][] = Array.from({ length: n }, () => []), nb: Set<number>[] = Array.from({ length: n }, () => new Set());
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < 3; s++) {
      const i = triIdx[3 * t + s];
      tris[i].push(t);
      for (let r = 0; r < 3; r++) nb[i].add(triIdx[3 * t + r]);
    }
  }
  const out: number[] = [];
  for (let p = 0; p < n; p++) {
    const set = new Set<number>();
    for (const q of nb[p]) for (const t of tris[q]) set.add(t);
    for (const t of tris[p]) set.add(t);
    out.push(...[...set].sort((a, b) => a - b));
    exclStart[p + 1] = out.length;
  }
  // each triangle's anchor: the corner nearest its farthest other corner (the right angle of a grid's half quad)
  const at = (i: number, j: number) => Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]);
  const anchored: number[][] = Array.from({ length: n }, () => []);
  for (let t = 0; t < T; t++) {
    const c = [0, 1, 2].map((q) => triIdx[3 * t + q]);
    const reach = c.map((i, q) => Math.max(at(i, c[(q + 1) % 3]), at(i, c[(q + 2) % 3])));
    anchored[c[reach.indexOf(Math.min(...reach))]].push(t);
  }
  for (let p = 0; p < n; p++) anchorStart[p + 1] = anchorStart[p] + anchored[p].length;
  return { triangles, exclStart, excl: Uint32Array.from(out), anchorStart, anchor: Uint32Array.from(anchored.flat()) };
}

export function packAdj(kind: number, slot: number, index: number): number {
  return ((kind << 30) | (slot << 28) | index) >>> 0;
}

/** Rows 0..H-1 of a track given as T rows (the last held). */
function rows(track: number[][], H: number, width: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < H; t++) {
    const r = track[Math.min(t, track.length - 1)];
    for (let k = 0; k < width; k++) out.push(r[k] ?? 0);
  }
  return out;
}

type V3 = [number, number, number];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** The dihedral angle of hinge (a, b, c, d) (see hinge.wgsl): 0 when flat, signed. */
export function hingeAngle(xa: V3, xb: V3, xc: V3, xd: V3): number {
  const e = sub(xb, xa);
  const n1 = cross(e, sub(xc, xa));
  const n2 = cross(sub(xa, xb), sub(xd, xb));
  return Math.atan2(dot(cross(n2, n1), e) / Math.sqrt(dot(e, e)), dot(n1, n2));
}

/** An actuated spring's rest length is rest (1 + actuationStrength x value); the scene's default strength. */
export const DEFAULT_ACTUATION_STRENGTH = 0.2;

export function compileSpringScene(s: SpringScene): SpringModel {
  const d = s.dim, n = s.vertices.mass.length, H = s.steps;
  const pos = (i: number): V3 => [s.vertices.x[i * d], s.vertices.x[i * d + 1], d === 3 ? s.vertices.x[i * d + 2] : 0];
  const flag = new Uint32Array(n);
  const gripOffset = new Float32Array(n * 3);
  for (const i of s.pinned ?? []) flag[i] = FLAG_PINNED;
  (s.grippers ?? []).forEach((g, k) => {
    const origin = g.origin ?? g.position[0];
    for (const i of g.vertices) {
      flag[i] = FLAG_GRIPPER + k;
      for (let a = 0; a < d; a++) gripOffset[i * 3 + a] = s.vertices.x[i * d + a] - origin[a];
    }
  });
  const invMass = Float32Array.from(s.vertices.mass, (m) => 1 / m);

  // springs
  const sp = s.springs;
  const S = sp ? sp.pairs.length / 2 : 0;
  const springPairs = Uint32Array.from(sp?.pairs ?? []);
  const springRest = new Float32Array(S);
  const springMat = Uint32Array.from(sp?.material ?? []);
  const springChan = Int32Array.from(sp?.actuator ?? new Array(S).fill(-1));
  for (let k = 0; k < S; k++) {
    const r = sp!.restLength?.[k] ?? Math.sqrt(dot(sub(pos(springPairs[2 * k + 1]), pos(springPairs[2 * k])), sub(pos(springPairs[2 * k + 1]), pos(springPairs[2 * k]))));
    springRest[k] = r;
  }

  // triangles: rest frames
  const tr = s.triangles;
  const T = tr ? tr.indices.length / 3 : 0;
  const triIdx = Uint32Array.from(tr?.indices ?? []);
  const triMat = Uint32Array.from(tr?.material ?? []);
  const triDmInv = new Float32Array(T * 4);
  const triArea = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const x0 = pos(triIdx[3 * t]), e1 = sub(pos(triIdx[3 * t + 1]), x0), e2 = sub(pos(triIdx[3 * t + 2]), x0);
    const l1 = Math.sqrt(dot(e1, e1));
    const a = dot(e2, e1) / l1;
    const c = cross(e1, e2);
    const b = Math.sqrt(dot(c, c)) / l1;
    // Dm = [[l1, a], [0, b]] (columns (l1, 0) and (a, b)); its inverse, column-major
    triDmInv.set([1 / l1, 0, -a / (l1 * b), 1 / b], 4 * t);
    triArea[t] = (l1 * b) / 2;
  }

  // hinges: every edge shared by exactly two triangles
  const edges = new Map<string, { t: number; a: number; b: number; w: number }[]>();
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < 3; k++) {
      const a = triIdx[3 * t + k], b = triIdx[3 * t + ((k + 1) % 3)], w = triIdx[3 * t + ((k + 2) % 3)];
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      let l = edges.get(key);
      if (!l) edges.set(key, (l = []));
      l.push({ t, a, b, w });
    }
  }
  const hinges: number[] = [], hMat: number[] = [], hW: number[] = [], hRest: number[] = [];
  for (const l of edges.values()) {
    if (l.length !== 2) continue;
    const [p, q] = l;
    const h: [number, number, number, number] = [p.a, p.b, p.w, q.w];
    const e = sub(pos(h[1]), pos(h[0]));
    hinges.push(...h);
    hMat.push(triMat[p.t]);
    hW.push((3 * dot(e, e)) / (triArea[p.t] + triArea[q.t]));
    hRest.push(hingeAngle(pos(h[0]), pos(h[1]), pos(h[2]), pos(h[3])));
  }
  const nH = hMat.length;
  const yieldAngle = Float32Array.from(s.materials, (m) => m.plastic?.yieldAngle ?? 0);
  const plastic = nH > 0 && hMat.some((m) => yieldAngle[m] > 0);

  // CSR adjacency, per vertex: springs, then triangles, then hinges, each by index
  const count = new Uint32Array(n + 1);
  for (let k = 0; k < 2 * S; k++) count[springPairs[k] + 1]++;
  for (let k = 0; k < 3 * T; k++) count[triIdx[k] + 1]++;
  for (let k = 0; k < 4 * nH; k++) count[hinges[k] + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const adjStart = count.slice();
  const fill = count.slice(0, n);
  const adj = new Uint32Array(count[n]);
  const put = (i: number, v: number) => { adj[fill[i]++] = v; };
  for (let k = 0; k < S; k++) for (let sl = 0; sl < 2; sl++) put(springPairs[2 * k + sl], packAdj(ELEM_SPRING, sl, k));
  for (let k = 0; k < T; k++) for (let sl = 0; sl < 3; sl++) put(triIdx[3 * k + sl], packAdj(ELEM_TRIANGLE, sl, k));
  for (let k = 0; k < nH; k++) for (let sl = 0; sl < 4; sl++) put(hinges[4 * k + sl], packAdj(ELEM_HINGE, sl, k));

  // control vector: materials, actuation rows, collider rows (position, velocity), gripper rows
  const M = s.materials.length, A = s.actuation?.channels ?? 0, cols = s.colliders ?? [], grips = s.grippers ?? [];
  const cr = colliderRow(d);
  const actOff = M * MAT_STRIDE, colOff = actOff + H * A, gripOff = colOff + H * cols.length * cr.width;
  const size = gripOff + H * grips.length * d;
  const ctrl0 = new Float32Array(size);
  s.materials.forEach((m, k) => ctrl0.set([m.stiffness, m.damping, m.mu ?? 0, m.lambda ?? 0, m.bending ?? 0], k * MAT_STRIDE));
  if (A > 0) {
    const values = actuationValues(s.actuation!, H), T0 = values.length / A;
    for (let t = 0; t < H; t++) for (let c = 0; c < A; c++) ctrl0[actOff + t * A + c] = values[Math.min(t, T0 - 1) * A + c];
  }
  cols.forEach((c, k) => {
    const O = orientComps(d), W = spinComps(d);
    const p = rows(c.position, H, d), v = rows(c.velocity, H, d);
    const o4 = rows(c.orientation ?? [identityOrientation(d)], H, O), w = rows(c.angularVelocity ?? [new Array(W).fill(0)], H, W);
    for (let t = 0; t < H; t++) {
      const o = colOff + (t * cols.length + k) * cr.width;
      for (let a = 0; a < d; a++) { ctrl0[o + cr.pos + a] = p[t * d + a]; ctrl0[o + cr.vel + a] = v[t * d + a]; }
      for (let a = 0; a < O; a++) ctrl0[o + cr.orient + a] = o4[t * O + a];
      for (let a = 0; a < W; a++) ctrl0[o + cr.spin + a] = w[t * W + a];
    }
  });
  grips.forEach((g, k) => {
    const p = rows(g.position, H, d);
    for (let t = 0; t < H; t++) for (let a = 0; a < d; a++) ctrl0[gripOff + (t * grips.length + k) * d + a] = p[t * d + a];
  });

  const stride = 2 * d;
  const state0 = new Float32Array(n * stride + (plastic ? nH : 0));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      state0[i * stride + a] = s.vertices.x[i * d + a];
      state0[i * stride + d + a] = s.vertices.v[i * d + a];
    }
  }
  const hingeRest0 = Float32Array.from(hRest);
  if (plastic) state0.set(hingeRest0, n * stride);

  const colliders: ColliderModel[] = cols.map((c) => {
    const he = c.halfExtents ?? [];
    return {
      shape: c.shape === 'box' ? 0 : c.shape === 'sphere' ? 1 : 2,
      halfExtents: [f32(he[0] ?? 0), f32(he[1] ?? 0), f32(he[2] ?? 0)],
      radius: f32(c.radius ?? 0),
      friction: f32(c.friction),
    };
  });

  return {
    dim: d, n, dt: f32(s.dt), gravity: [0, 1, 2].map((a) => f32(s.gravity[a] ?? 0)).slice(0, d), decay: f32(Math.exp(-(s.damping ?? 0) * s.dt)), horizon: H,
    flag, invMass, gripOffset,
    springPairs, springRest, springMat, springChan, actuationStrength: f32(sp?.actuationStrength ?? DEFAULT_ACTUATION_STRENGTH),
    triIdx, triMat, triDmInv, triArea,
    hingeIdx: Uint32Array.from(hinges), hingeMat: Uint32Array.from(hMat), hingeWeight: Float32Array.from(hW), hingeRest0,
    plastic, yieldAngle,
    adjStart, adj,
    ground: s.ground ? { height: f32(s.ground.height), friction: f32(s.ground.friction), softness: f32(s.ground.softness) } : null,
    colliders, colliderSoftness: f32(s.colliderSoftness ?? 0),
    selfContact: s.selfContact ? { thickness: f32(s.selfContact.thickness), stiffness: f32(s.selfContact.stiffness), ...contactLists(n, triIdx, s.vertices.x, T > 0 && (s.selfContact.triangles ?? false)) } : null,
    nMaterials: M, nChannels: A, nGrippers: grips.length,
    ctrl: { actOff, colOff, gripOff, size }, ctrl0,
    state0,
  };
}
