// The time step past which a spring or shell scene's explicit step cannot be stable, known before
// any GPU work. Linearised at its rest shape, the step is symplectic Euler with the velocity
// decay d = exp(-damping dt) on M x'' = -K x: a mode of frequency w has trace 1 + d - dt^2 d w^2
// and determinant d, so it grows once dt^2 d w^2 > 2 (1 + d). The highest w^2 is at least any
// Rayleigh quotient u^T K u / u^T M u; with u one free vertex moved alone, that is the largest
// eigenvalue of the vertex's own 3x3 block of K over its mass. So a dt past the limit computed
// from those blocks is unstable for certain; one under it may still be (the bound is from below),
// and the rollout then reports the step where it blew up.
import { FLAG_FREE, MAT_STRIDE, type SpringModel } from './model';

export interface StabilityLimit {
  /** The largest dt at which the worst vertex's own mode is stable (Infinity: none limits it). */
  dtMax: number;
  /** That vertex and what stiffens it most: 'springs', 'membrane' or 'bending'. */
  vertex: number;
  by: 'springs' | 'membrane' | 'bending';
  /** Its mass and the largest eigenvalue of its block of K (N/m). */
  mass: number;
  stiffness: number;
}

type V3 = [number, number, number];
type Block = Float64Array; // symmetric 3x3, row-major

const KINDS = ['springs', 'membrane', 'bending'] as const;

/** The stability limit of model m's time step (materials from its initial control vector). */
export function stabilityLimit(m: SpringModel): StabilityLimit {
  const n = m.n, d = m.dim;
  // per vertex and kind, the block of K at the rest shape
  const blocks = KINDS.map(() => new Float64Array(9 * n));
  const x = (i: number): V3 => [m.state0[i * 2 * d], m.state0[i * 2 * d + 1], d === 3 ? m.state0[i * 2 * d + 2] : 0];
  const mat = (k: number, field: number) => m.ctrl0[k * MAT_STRIDE + field];
  const addOuter = (b: Block, i: number, u: V3, s: number) => {
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) b[9 * i + 3 * r + c] += s * u[r] * u[c];
  };

  // a spring at its rest length: k / L along its axis (the tension's transverse term is zero there)
  for (let s = 0; s < m.springRest.length; s++) {
    const i = m.springPairs[2 * s], j = m.springPairs[2 * s + 1];
    const e = sub(x(j), x(i)), l = norm(e);
    if (l === 0) continue;
    const k = Math.abs(mat(m.springMat[s], 0)) / m.springRest[s];
    addOuter(blocks[0], i, scale(e, 1 / l), k);
    addOuter(blocks[0], j, scale(e, 1 / l), k);
  }
  // a triangle at rest (F = R, 3x2 orthonormal): corner a's block is A (mu |g|^2 R R^T + (mu + lambda) (R g)(R g)^T),
  // g its shape gradient in the rest frame, from St. Venant-Kirchhoff's energy mu E:E + lambda/2 tr(E)^2
  for (let t = 0; t < m.triArea.length; t++) {
    const q = [m.triIdx[3 * t], m.triIdx[3 * t + 1], m.triIdx[3 * t + 2]];
    const D = m.triDmInv.subarray(4 * t, 4 * t + 4);
    const e1 = sub(x(q[1]), x(q[0])), e2 = sub(x(q[2]), x(q[0]));
    const F0 = add(scale(e1, D[0]), scale(e2, D[1])), F1 = add(scale(e1, D[2]), scale(e2, D[3]));
    const mu = Math.abs(mat(m.triMat[t], 2)), la = Math.abs(mat(m.triMat[t], 3)), A = m.triArea[t];
    const gj: [number, number] = [D[0], D[2]], gk: [number, number] = [D[1], D[3]];
    const g = [[-gj[0] - gk[0], -gj[1] - gk[1]], gj, gk];
    for (let c = 0; c < 3; c++) {
      const g2 = g[c][0] ** 2 + g[c][1] ** 2;
      addOuter(blocks[1], q[c], F0, A * mu * g2);
      addOuter(blocks[1], q[c], F1, A * mu * g2);
      addOuter(blocks[1], q[c], add(scale(F0, g[c][0]), scale(F1, g[c][1])), A * (mu + la));
    }
  }
  // a hinge at its rest angle: k w u_q u_q^T, u_q the angle's gradient at corner q
  for (let h = 0; h < m.hingeWeight.length; h++) {
    const q = [0, 1, 2, 3].map((s) => m.hingeIdx[4 * h + s]);
    const u = hingeGradients(x(q[0]), x(q[1]), x(q[2]), x(q[3]));
    const kw = Math.abs(mat(m.hingeMat[h], 4)) * m.hingeWeight[h];
    for (let s = 0; s < 4; s++) addOuter(blocks[2], q[s], u[s], kw);
  }

  let worst = { w2: 0, vertex: 0, by: 0, stiffness: 0 };
  const sum = new Float64Array(9);
  for (let i = 0; i < n; i++) {
    if (m.flag[i] !== FLAG_FREE) continue;
    for (let r = 0; r < 9; r++) sum[r] = blocks[0][9 * i + r] + blocks[1][9 * i + r] + blocks[2][9 * i + r];
    const k = maxEigen(sum);
    const w2 = k * m.invMass[i];
    if (w2 > worst.w2) {
      const each = blocks.map((b) => maxEigen(b.subarray(9 * i, 9 * i + 9)));
      worst = { w2, vertex: i, by: each.indexOf(Math.max(...each)), stiffness: k };
    }
  }
  const gamma = -Math.log(m.decay) / m.dt;
  return { dtMax: limitDt(worst.w2, gamma), vertex: worst.vertex, by: KINDS[worst.by], mass: 1 / m.invMass[worst.vertex], stiffness: worst.stiffness };
}

/** The dt where dt^2 d w^2 = 2 (1 + d), d = exp(-gamma dt): bisection below 2 / gamma, where dt^2 d peaks. */
function limitDt(w2: number, gamma: number): number {
  if (!(w2 > 0)) return Infinity;
  const grows = (t: number) => { const d = Math.exp(-gamma * t); return t * t * d * w2 > 2 * (1 + d); };
  let hi = gamma > 0 ? 2 / gamma : Infinity;
  if (hi === Infinity) return 2 / Math.sqrt(w2);
  if (!grows(hi)) return Infinity;
  let lo = 0;
  for (let k = 0; k < 100; k++) { const mid = (lo + hi) / 2; if (grows(mid)) hi = mid; else lo = mid; }
  return lo;
}

/** The largest eigenvalue of a symmetric positive semi-definite 3x3 block (the trigonometric closed form). */
export function maxEigen(a: ArrayLike<number>): number {
  const p1 = a[1] ** 2 + a[2] ** 2 + a[5] ** 2;
  const q = (a[0] + a[4] + a[8]) / 3;
  if (p1 === 0) return Math.max(a[0], a[4], a[8]);
  const p2 = (a[0] - q) ** 2 + (a[4] - q) ** 2 + (a[8] - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const b = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => (a[k] - (k % 4 === 0 ? q : 0)) / p);
  const det = b[0] * (b[4] * b[8] - b[5] * b[7]) - b[1] * (b[3] * b[8] - b[5] * b[6]) + b[2] * (b[3] * b[7] - b[4] * b[6]);
  const phi = Math.acos(Math.min(1, Math.max(-1, det / 2))) / 3;
  return q + 2 * p * Math.cos(phi);
}

/** The dihedral angle's gradients at a, b, c, d (Bridson et al. 2003; reference.ts hingeRef). */
function hingeGradients(xa: V3, xb: V3, xc: V3, xd: V3): V3[] {
  const e = sub(xb, xa), l = norm(e);
  const n1 = cross(e, sub(xc, xa)), n2 = cross(sub(xa, xb), sub(xd, xb));
  const m1 = scale(n1, 1 / dot(n1, n1)), m2 = scale(n2, 1 / dot(n2, n2));
  return [
    add(scale(m1, dot(sub(xc, xb), e) / l), scale(m2, dot(sub(xd, xb), e) / l)),
    add(scale(m1, -dot(sub(xc, xa), e) / l), scale(m2, -dot(sub(xd, xa), e) / l)),
    scale(m1, l),
    scale(m2, l),
  ];
}

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: V3, s: number): V3 => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: V3) => Math.sqrt(dot(a, a));
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
