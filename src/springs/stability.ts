// The time step past which a spring or shell scene's explicit step cannot be stable, known before
// any GPU work. Linearised at its rest shape, the step is symplectic Euler with the velocity
// decay d = exp(-damping dt) on M x'' = -K x: a mode of frequency w has trace 1 + d - dt^2 d w^2
// and determinant d, so it grows once dt^2 d w^2 > 2 (1 + d). The top w^2 is at least the
// Rayleigh quotient u^T K u / u^T M u of any displacement u of the free vertices, so a dt past the
// limit of any such quotient is unstable for certain; one under it may still be (the bound is from
// below), and the rollout then reports the step where it blew up.
//
// The springs' dashpots are explicit too: with c's quotient g = u^T C u / u^T M u, one mode's step
// has determinant d (1 - dt g) and grows once dt^2 d w^2 + 2 d dt g > 2 (1 + d). The dashpots need
// not share K's modes, so the same quotients give only an estimate there (dtDamped), which the
// blow-up message names; the refusal stays with the certain limit.
//
// Which u: each candidate vertex moved alone along its block of K's top eigenvector, then, from
// the worst, power iteration on a patch of vertices around it (the quotients rise towards the
// patch's top mode, which spreads over neighbours as a lattice's top mode does). Both are built
// from the adjacency, so the cost is bounded whatever the mesh size; the CLI runs JavaScript
// without V8's optimising tier (the Dawn workaround), where a pass over a 256x256 cloth's elements
// costs seconds.
import { FLAG_FREE, MAT_STRIDE, type SpringModel } from './model';
import { hingeRef } from './reference';

export interface StabilityLimit {
  /** The largest dt at which the modes found are stable (Infinity: nothing limits it). */
  dtMax: number;
  /** The vertex whose own mode is worst, and what stiffens it most. */
  vertex: number;
  by: 'springs' | 'membrane' | 'bending';
  /** Its mass and the largest eigenvalue of its block of K (N/m). */
  mass: number;
  stiffness: number;
  /** The limit estimated with the springs' dashpots too (<= dtMax; dtMax without dashpots): not a bound. */
  dtDamped: number;
}

type V3 = [number, number, number];

const KINDS = ['springs', 'membrane', 'bending'] as const;
/** Vertices whose own block is computed: all of them up to this many, else a stride plus the lightest. */
const CANDIDATES = 512;
/** The patch around the worst vertex, and the power iterations on it. */
const PATCH = 128;
const ITERATIONS = 40;

/** The stability limit of model m's time step (materials from its initial control vector). */
export function stabilityLimit(m: SpringModel): StabilityLimit {
  const el = new RestElements(m);
  const gamma = -Math.log(m.decay) / m.dt;
  let worst = { w2: 0, vertex: -1, by: 0, stiffness: 0, block: new Float64Array(9) };
  const kinds = [new Float64Array(9), new Float64Array(9), new Float64Array(9)], sum = new Float64Array(9), C = new Float64Array(9);
  let dtDamped = Infinity;
  for (const i of candidates(m)) {
    for (const b of kinds) b.fill(0);
    el.vertexBlocks(i, kinds);
    for (let q = 0; q < 9; q++) sum[q] = kinds[0][q] + kinds[1][q] + kinds[2][q];
    const k = maxEigen(sum), w2 = k * m.invMass[i];
    if (w2 > worst.w2) {
      const each = kinds.map((b) => maxEigen(b));
      worst = { w2, vertex: i, by: each.indexOf(Math.max(...each)), stiffness: k, block: sum.slice() };
    }
    if (el.dashpots) {
      C.fill(0);
      el.vertexDamping(i, C);
      dtDamped = Math.min(dtDamped, dampedLimitDt(sum, C, m.invMass[i], gamma, limitDt(w2, gamma)));
    }
  }
  if (worst.vertex < 0) return { dtMax: Infinity, vertex: 0, by: 'springs', mass: 1 / m.invMass[0], stiffness: 0, dtDamped };
  const patch = patchIteration(m, el, worst.vertex, topVector(worst.block));
  const dtMax = limitDt(Math.max(worst.w2, patch.w2), gamma);
  if (el.dashpots && patch.w2 > 0) {
    const K = [patch.w2, 0, 0, 0, 0, 0, 0, 0, 0], G = [patch.g2, 0, 0, 0, 0, 0, 0, 0, 0];
    dtDamped = Math.min(dtDamped, dampedLimitDt(K, G, 1, gamma, limitDt(patch.w2, gamma)));
  }
  return { dtMax, vertex: worst.vertex, by: KINDS[worst.by], mass: 1 / m.invMass[worst.vertex], stiffness: worst.stiffness, dtDamped: Math.min(dtMax, dtDamped) };
}

/** The free vertices to try alone: all, or every k-th and the CANDIDATES / 16 lightest. */
function candidates(m: SpringModel): number[] {
  const free: number[] = [];
  for (let i = 0; i < m.n; i++) if (m.flag[i] === FLAG_FREE) free.push(i);
  if (free.length <= CANDIDATES) return free;
  const stride = Math.ceil(free.length / CANDIDATES);
  const picked = new Set(free.filter((_, k) => k % stride === 0));
  const lightest = free.slice().sort((a, b) => m.invMass[b] - m.invMass[a] || a - b).slice(0, CANDIDATES / 16);
  for (const i of lightest) picked.add(i);
  return [...picked];
}

/**
 * Power iteration of M^-1 K on the free vertices of a patch around `start` (breadth first over the
 * adjacency), the rest held at zero: each Rayleigh quotient is one of the whole system's, so a lower
 * bound on its top w^2, and they rise (K is positive semi-definite). g2: the dashpots' quotient at
 * the best u.
 */
function patchIteration(m: SpringModel, el: RestElements, start: number, dir: V3): { w2: number; g2: number } {
  const patch = [start], index = new Map([[start, 0]]);
  for (let k = 0; k < patch.length && patch.length < PATCH; k++) {
    for (const j of el.neighbours(patch[k])) {
      if (index.has(j) || m.flag[j] !== FLAG_FREE || patch.length >= PATCH) continue;
      index.set(j, patch.length);
      patch.push(j);
    }
  }
  let u = new Float64Array(3 * patch.length), ku = new Float64Array(3 * patch.length);
  u.set(dir, 0);
  const K = el.patchStiffness(patch, index), C = el.patchStiffness(patch, index, true);
  let best = 0, bestU = u.slice();
  for (let it = 0; it < ITERATIONS; it++) {
    K(u, ku);
    let uku = 0, umu = 0;
    for (let p = 0; p < patch.length; p++) {
      const mass = 1 / m.invMass[patch[p]];
      for (let a = 0; a < 3; a++) { uku += u[3 * p + a] * ku[3 * p + a]; umu += u[3 * p + a] * u[3 * p + a] * mass; }
    }
    if (!(umu > 0)) break;
    if (uku / umu > best) { best = uku / umu; bestU = Float64Array.from(u, (z) => z / Math.sqrt(umu)); }
    // u <- M^-1 K u, scaled to unit M-norm
    let size = 0;
    for (let p = 0; p < patch.length; p++) {
      const w = m.invMass[patch[p]];
      for (let a = 0; a < 3; a++) { const z = ku[3 * p + a] * w; ku[3 * p + a] = z; size += (z * z) / w; }
    }
    if (!(size > 0)) break;
    const s = 1 / Math.sqrt(size);
    for (let q = 0; q < ku.length; q++) ku[q] *= s;
    [u, ku] = [ku, u];
  }
  if (!el.dashpots || best === 0) return { w2: best, g2: 0 };
  C(bestU, ku);
  let ucu = 0;
  for (let q = 0; q < ku.length; q++) ucu += bestU[q] * ku[q];
  return { w2: best, g2: ucu };
}

/** The elements at the rest shape, read through the model's per-vertex adjacency. */
class RestElements {
  private readonly X: Float64Array;
  /** Whether any spring has a dashpot (c > 0). */
  readonly dashpots: boolean;
  constructor(private readonly m: SpringModel) {
    const d = m.dim;
    this.dashpots = Array.from(m.springMat).some((k) => this.mat(k, 1) > 0);
    this.X = new Float64Array(3 * m.n);
    for (let i = 0; i < m.n; i++) for (let a = 0; a < d; a++) this.X[3 * i + a] = m.state0[i * 2 * d + a];
  }

  private mat(k: number, field: number): number { return Math.abs(this.m.ctrl0[k * MAT_STRIDE + field]); }
  private x(i: number): V3 { return [this.X[3 * i], this.X[3 * i + 1], this.X[3 * i + 2]]; }

  /** Vertex i's adjacency entries: kind (0 spring, 1 triangle, 2 hinge), its slot, the element. */
  *entries(i: number): Generator<[number, number, number]> {
    const { adj, adjStart } = this.m;
    for (let e = adjStart[i]; e < adjStart[i + 1]; e++) yield [adj[e] >>> 30, (adj[e] >>> 28) & 3, adj[e] & 0x0fffffff];
  }

  /** The vertices of the elements around vertex i. */
  *neighbours(i: number): Generator<number> {
    for (const [kind, , k] of this.entries(i)) {
      const vs = kind === 0 ? this.m.springPairs.subarray(2 * k, 2 * k + 2) : kind === 1 ? this.m.triIdx.subarray(3 * k, 3 * k + 3) : this.m.hingeIdx.subarray(4 * k, 4 * k + 4);
      yield* vs;
    }
  }

  /**
   * Vertex i's blocks of K by kind, at the rest shape: a spring's `k / L n n^T` (its tension's
   * transverse term is zero at rest length); a triangle's corner `A (mu |g|^2 R R^T + (mu + lambda)
   * (R g)(R g)^T)` from St. Venant-Kirchhoff's `mu E:E + lambda/2 tr(E)^2`, R = F at rest and g the
   * corner's shape gradient; a hinge's `k w u u^T`, u the angle's gradient at the corner.
   */
  vertexBlocks(i: number, out: Float64Array[]): void {
    for (const [kind, slot, k] of this.entries(i)) {
      if (kind === 0) {
        const s = this.spring(k);
        addOuter(out[0], s.n, s.k);
      } else if (kind === 1) {
        const t = this.triangle(k);
        const g0 = slot === 0 ? -t.D[0] - t.D[1] : t.D[slot - 1], g1 = slot === 0 ? -t.D[2] - t.D[3] : t.D[slot + 1];
        const g2 = g0 * g0 + g1 * g1;
        addOuter(out[1], t.F0, t.A * t.mu * g2);
        addOuter(out[1], t.F1, t.A * t.mu * g2);
        addOuter(out[1], [t.F0[0] * g0 + t.F1[0] * g1, t.F0[1] * g0 + t.F1[1] * g1, t.F0[2] * g0 + t.F1[2] * g1], t.A * (t.mu + t.la));
      } else {
        const h = this.hinge(k);
        addOuter(out[2], h.u[slot], h.kw);
      }
    }
  }

  /** Vertex i's block of the dashpots' C: each spring's `c n n^T`. */
  vertexDamping(i: number, out: Float64Array): void {
    for (const [kind, , k] of this.entries(i)) if (kind === 0) addOuter(out, this.spring(k).n, this.mat(this.m.springMat[k], 1));
  }

  /**
   * u -> K u over the patch (u zero outside it): the linearised elastic forces of displacement u,
   * negated, on the patch. Each element touching the patch once, its rest data gathered once.
   * With `dashpots`, u -> C u instead: the springs' dashpots alone.
   */
  patchStiffness(patch: number[], index: Map<number, number>, dashpots = false): (u: Float64Array, ku: Float64Array) => void {
    const m = this.m, at = (v: number) => index.get(v) ?? -1;
    const springs: { a: number; b: number; n: V3; k: number }[] = [];
    const tris: { v: number[]; F0: V3; F1: V3; D: number[]; A: number; mu: number; la: number }[] = [];
    const hinges: { v: number[]; u: V3[]; kw: number }[] = [];
    const seen = new Set<number>();
    for (const i of patch) {
      for (const [kind, , k] of this.entries(i)) {
        if (seen.has(4 * k + kind)) continue;
        seen.add(4 * k + kind);
        if (kind === 0) {
          const s = this.spring(k);
          springs.push({ a: at(m.springPairs[2 * k]), b: at(m.springPairs[2 * k + 1]), n: s.n, k: dashpots ? this.mat(m.springMat[k], 1) : s.k });
        } else if (dashpots) continue;
        else if (kind === 1) tris.push({ v: [0, 1, 2].map((c) => at(m.triIdx[3 * k + c])), ...this.triangle(k) });
        else hinges.push({ v: [0, 1, 2, 3].map((c) => at(m.hingeIdx[4 * k + c])), ...this.hinge(k) });
      }
    }
    return (u, ku) => {
      ku.fill(0);
      const get = (p: number): V3 => (p < 0 ? [0, 0, 0] : [u[3 * p], u[3 * p + 1], u[3 * p + 2]]);
      const put = (p: number, f: V3, s: number) => { if (p >= 0) for (let a = 0; a < 3; a++) ku[3 * p + a] += s * f[a]; };
      for (const e of springs) {
        const c = e.k * dot(e.n, sub(get(e.a), get(e.b)));
        put(e.a, e.n, c);
        put(e.b, e.n, -c);
      }
      for (const t of tris) {
        const x0 = get(t.v[0]), d1 = sub(get(t.v[1]), x0), d2 = sub(get(t.v[2]), x0);
        const [D0, D1, D2, D3] = t.D;
        const G0 = add(scale(d1, D0), scale(d2, D1)), G1 = add(scale(d1, D2), scale(d2, D3));
        // dE = sym(R^T dF), dS = 2 mu dE + lambda tr(dE) I, dP = R dS, and A dP D^T per corner (forcesRef's pattern)
        const E00 = dot(t.F0, G0), E11 = dot(t.F1, G1), E01 = (dot(t.F0, G1) + dot(t.F1, G0)) / 2, tr = E00 + E11;
        const S00 = 2 * t.mu * E00 + t.la * tr, S11 = 2 * t.mu * E11 + t.la * tr, S01 = 2 * t.mu * E01;
        const P0 = add(scale(t.F0, S00), scale(t.F1, S01)), P1 = add(scale(t.F0, S01), scale(t.F1, S11));
        const kj = add(scale(P0, D0), scale(P1, D2)), kk = add(scale(P0, D1), scale(P1, D3));
        put(t.v[1], kj, t.A);
        put(t.v[2], kk, t.A);
        put(t.v[0], add(kj, kk), -t.A);
      }
      for (const h of hinges) {
        let c = 0;
        for (let s = 0; s < 4; s++) c += dot(h.u[s], get(h.v[s]));
        for (let s = 0; s < 4; s++) put(h.v[s], h.u[s], h.kw * c);
      }
    };
  }

  private spring(k: number): { n: V3; k: number } {
    const e = sub(this.x(this.m.springPairs[2 * k + 1]), this.x(this.m.springPairs[2 * k])), l = Math.sqrt(dot(e, e));
    return l > 0 ? { n: scale(e, 1 / l), k: this.mat(this.m.springMat[k], 0) / this.m.springRest[k] } : { n: [0, 0, 0], k: 0 };
  }

  private triangle(k: number): { F0: V3; F1: V3; D: number[]; A: number; mu: number; la: number } {
    const m = this.m, D = Array.from(m.triDmInv.subarray(4 * k, 4 * k + 4));
    const x0 = this.x(m.triIdx[3 * k]), e1 = sub(this.x(m.triIdx[3 * k + 1]), x0), e2 = sub(this.x(m.triIdx[3 * k + 2]), x0);
    return {
      F0: add(scale(e1, D[0]), scale(e2, D[1])), F1: add(scale(e1, D[2]), scale(e2, D[3])), D,
      A: m.triArea[k], mu: this.mat(m.triMat[k], 2), la: this.mat(m.triMat[k], 3),
    };
  }

  /** The dihedral angle's gradients at a, b, c, d (the reference's) and k w. */
  private hinge(k: number): { u: V3[]; kw: number } {
    const m = this.m, [xa, xb, xc, xd] = [0, 1, 2, 3].map((s) => this.x(m.hingeIdx[4 * k + s]));
    return { u: hingeRef(xa, xb, xc, xd).u as V3[], kw: this.mat(m.hingeMat[k], 4) * m.hingeWeight[k] };
  }
}

function addOuter(b: Float64Array, u: V3, s: number): void {
  for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) b[3 * p + q] += s * u[p] * u[q];
}

/** The dt where dt^2 d w^2 = 2 (1 + d), d = exp(-gamma dt): bisection below 2 / gamma, where dt^2 d peaks. */
function limitDt(w2: number, gamma: number): number {
  if (!(w2 > 0)) return Infinity;
  if (!(gamma > 0)) return 2 / Math.sqrt(w2);
  const grows = (t: number) => { const d = Math.exp(-gamma * t); return t * t * d * w2 > 2 * (1 + d); };
  let lo = 0, hi = 2 / gamma;
  if (!grows(hi)) return Infinity;
  for (let k = 0; k < 100; k++) { const mid = (lo + hi) / 2; if (grows(mid)) hi = mid; else lo = mid; }
  return lo;
}

/**
 * The dt where the worst direction u of one vertex's blocks K and C (or one mode's quotients, as
 * diagonal blocks) grows with the dashpots: dt^2 d u^T K u + 2 d dt u^T C u > 2 (1 + d) m, or
 * d (dt u^T C u / m - 1) > 1; bisection below `hi`, the limit without them.
 */
function dampedLimitDt(K: ArrayLike<number>, C: ArrayLike<number>, invMass: number, gamma: number, hi: number): number {
  if (!(maxEigen(C) > 0)) return hi;
  const top = maxEigen(C) * invMass, H = new Float64Array(9);
  const grows = (t: number) => {
    const d = Math.exp(-gamma * t);
    for (let q = 0; q < 9; q++) H[q] = t * t * K[q] + 2 * t * C[q];
    return d * maxEigen(H) * invMass > 2 * (1 + d) || d * (t * top - 1) > 1;
  };
  let lo = 0;
  if (!Number.isFinite(hi)) { hi = 4 / top; while (!grows(hi)) { lo = hi; hi *= 2; if (hi > 1e6) return Infinity; } }
  if (!grows(hi)) return hi;
  for (let k = 0; k < 60; k++) { const mid = (lo + hi) / 2; if (grows(mid)) hi = mid; else lo = mid; }
  return lo;
}

/**
 * The dt past which the lightest free vertex pressed against the next lightest by self-contact oscillates
 * and grow: the penalty is a spring of stiffness kc between them, w^2 = kc (1/m1 + 1/m2), and the
 * damped step grows once dt^2 d w^2 > 2 (1 + d) (as above). Contacts are not at rest, so this is
 * no refusal, only a blow-up's likelier cause (SpringSim.blowUpMessage). Infinity without self-contact.
 */
export function selfContactLimit(m: SpringModel): { dtMax: number; mass: number } {
  const masses: number[] = [];
  for (let i = 0; i < m.n; i++) if (m.flag[i] === FLAG_FREE) masses.push(1 / m.invMass[i]);
  masses.sort((a, b) => a - b);
  if (!m.selfContact || masses.length === 0) return { dtMax: Infinity, mass: 0 };
  // the second of the pair may be held (infinite mass)
  const w2 = m.selfContact.stiffness * (1 / masses[0] + (masses.length > 1 ? 1 / masses[1] : 0)), d = m.decay;
  return { dtMax: Math.sqrt((2 * (1 + d)) / (d * w2)), mass: masses[0] };
}

/** The largest eigenvalue of a symmetric positive semi-definite 3x3 block (the trigonometric closed form). */
export function maxEigen(a: ArrayLike<number>): number {
  const p1 = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
  const q = (a[0] + a[4] + a[8]) / 3;
  if (p1 === 0) return Math.max(a[0], a[4], a[8]);
  const b0 = a[0] - q, b4 = a[4] - q, b8 = a[8] - q;
  const p = Math.sqrt((b0 * b0 + b4 * b4 + b8 * b8 + 2 * p1) / 6);
  // det((A - q I) / p) / 2
  const det = (b0 * (b4 * b8 - a[5] * a[7]) - a[1] * (a[3] * b8 - a[5] * a[6]) + a[2] * (a[3] * a[7] - b4 * a[6])) / (p * p * p);
  const phi = Math.acos(Math.min(1, Math.max(-1, det / 2))) / 3;
  return q + 2 * p * Math.cos(phi);
}

/** A unit eigenvector of a symmetric positive semi-definite 3x3 block for its largest eigenvalue. */
function topVector(a: ArrayLike<number>): V3 {
  const l = maxEigen(a);
  // the rows of A - l I span the eigenvector's orthogonal complement: their largest cross product
  const r = [0, 1, 2].map((k): V3 => [a[3 * k] - (k === 0 ? l : 0), a[3 * k + 1] - (k === 1 ? l : 0), a[3 * k + 2] - (k === 2 ? l : 0)]);
  let best: V3 = [1, 0, 0], size = 0;
  for (const [p, q] of [[0, 1], [0, 2], [1, 2]]) {
    const c = cross(r[p], r[q]), s = Math.sqrt(dot(c, c));
    if (s > size) { size = s; best = scale(c, 1 / s); }
  }
  return size > 1e-12 * Math.max(1, l * l) ? best : [1, 0, 0];
}

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: V3, s: number): V3 => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
