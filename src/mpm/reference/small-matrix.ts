// Small-matrix maths in float64, generic over the dimension (2 or 3): the CPU twin of
// src/shaders/common/prelude.wgsl + dim2.wgsl/dim3.wgsl. Matrices are flat Float64Arrays in
// column-major order, m[col * dim + row], the order of C and F in the particle record. The
// dimension is read from the length (4 or 9 for a matrix, 2 or 3 for a vector), so every function
// works in 2D and 3D. Results go to an optional `dst` (last argument) or a new array.

export type Dim = 2 | 3;
/** dim x dim matrix, column-major: m[col * dim + row]. */
export type Mat = Float64Array;
/** Vector of length dim. */
export type Vec = Float64Array;

/** Dimension of a matrix from its length (4 -> 2, 9 -> 3). */
export function matDim(m: ArrayLike<number>): Dim {
  if (m.length === 4) return 2;
  if (m.length === 9) return 3;
  throw new Error(`small-matrix: a matrix has 4 or 9 entries, got ${m.length}`);
}

export function ident(dim: Dim, dst: Mat = new Float64Array(dim * dim)): Mat {
  dst.fill(0);
  for (let i = 0; i < dim; i++) dst[i * dim + i] = 1;
  return dst;
}

/** a b */
export function mul(a: Mat, b: Mat, dst?: Mat): Mat {
  const d = matDim(a);
  const r = new Float64Array(d * d); // a temporary, so dst may alias a or b
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[k * d + i] * b[j * d + k];
      r[j * d + i] = s;
    }
  }
  if (!dst) return r;
  dst.set(r);
  return dst;
}

/** m v */
export function mulVec(m: Mat, v: Vec, dst?: Vec): Vec {
  const d = matDim(m);
  const r = new Float64Array(d);
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) r[i] += m[j * d + i] * v[j];
  if (!dst) return r;
  dst.set(r);
  return dst;
}

export function transpose(m: Mat, dst?: Mat): Mat {
  const d = matDim(m);
  const r = new Float64Array(d * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) r[i * d + j] = m[j * d + i];
  if (!dst) return r;
  dst.set(r);
  return dst;
}

/** a * sa + b * sb (entrywise; also for vectors). */
export function axpby(a: Float64Array, sa: number, b: Float64Array, sb: number, dst: Float64Array = new Float64Array(a.length)): Float64Array {
  for (let i = 0; i < a.length; i++) dst[i] = a[i] * sa + b[i] * sb;
  return dst;
}

export function det(m: Mat): number {
  if (matDim(m) === 2) return m[0] * m[3] - m[2] * m[1];
  return m[0] * (m[4] * m[8] - m[7] * m[5]) - m[3] * (m[1] * m[8] - m[7] * m[2]) + m[6] * (m[1] * m[5] - m[4] * m[2]);
}

function cross(a: ArrayLike<number>, b: ArrayLike<number>, dst: Float64Array, o: number): void {
  dst[o] = a[1] * b[2] - a[2] * b[1];
  dst[o + 1] = a[2] * b[0] - a[0] * b[2];
  dst[o + 2] = a[0] * b[1] - a[1] * b[0];
}

/** Column j of m (a view, not a copy). */
export function col(m: Mat, j: number): Vec {
  const d = matDim(m);
  return m.subarray(j * d, j * d + d);
}

/** cof(m) = det(m) m^{-T} = d det(m) / dm. In 3D its columns are cross products of columns. */
export function cofactor(m: Mat, dst?: Mat): Mat {
  const r = new Float64Array(m.length);
  if (matDim(m) === 2) {
    r.set([m[3], -m[2], -m[1], m[0]]);
  } else {
    for (let k = 0; k < 3; k++) cross(col(m, (k + 1) % 3), col(m, (k + 2) % 3), r, 3 * k);
  }
  if (!dst) return r;
  dst.set(r);
  return dst;
}

/** a b^T: column j is a * b[j]. */
export function outer(a: Vec, b: Vec, dst: Mat = new Float64Array(a.length * a.length)): Mat {
  const d = a.length;
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) dst[j * d + i] = a[i] * b[j];
  return dst;
}

export function trace(m: Mat): number {
  const d = matDim(m);
  let t = 0;
  for (let i = 0; i < d; i++) t += m[i * d + i];
  return t;
}

/** Frobenius inner product a : b (also the dot product of vectors). */
export function ddot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(ddot(a, a));
}

// ---- Signed SVD by one-sided (Hestenes) Jacobi, as prelude.wgsl `svd` -----------------------
// F = U diag(s) V^T, det U = det V = +1; the smallest singular value carries the sign of det F.
// Same rotations and sweep order as the WGSL; float64 needs more sweeps than the GPU's
// SVD_SWEEPS (1 in 2D, 5 in 3D), so it sweeps until no pair needs a rotation (at most `maxSweeps`).

export interface Svd { U: Mat; s: Vec; V: Mat }

/** Column k that makes an orthonormal U right-handed (dim2.wgsl / dim3.wgsl `complete_basis`). */
export function completeBasis(U: Mat, k: number): Vec {
  const d = matDim(U);
  const r = new Float64Array(d);
  if (d === 2) {
    if (k === 0) r.set([U[3], -U[2]]);
    else r.set([-U[1], U[0]]);
  } else {
    cross(col(U, (k + 1) % 3), col(U, (k + 2) % 3), r, 0);
  }
  return r;
}

/** Dot product of columns p and q of m (d x d). */
function colDot(m: Mat, d: number, p: number, q: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += m[p * d + i] * m[q * d + i];
  return s;
}

/** Columns p, q of m <- (c m_p - sn m_q, sn m_p + c m_q). */
function rotate(m: Mat, d: number, p: number, q: number, c: number, sn: number): void {
  for (let i = 0; i < d; i++) {
    const mp = m[p * d + i], mq = m[q * d + i];
    m[p * d + i] = c * mp - sn * mq;
    m[q * d + i] = sn * mp + c * mq;
  }
}

export function svd(F: Mat, maxSweeps = 30): Svd {
  const d = matDim(F);
  const out = { U: new Float64Array(d * d), s: new Float64Array(d), V: new Float64Array(d * d) };
  return svdInto(F, out, new Float64Array(d * d), maxSweeps);
}

/**
 * svd() into preallocated `out` (A: a d x d scratch matrix), so the reference's per-particle
 * stress and return map allocate nothing; F may not alias out's or A's arrays.
 */
export function svdInto(F: Mat, out: Svd, A: Mat, maxSweeps = 30): Svd {
  const d = F.length === 4 ? 2 : 3;
  const { U, s, V } = out;
  A.set(F);
  ident(d, V);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p + 1 < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const al = colDot(A, d, p, p), be = colDot(A, d, q, q), ga = colDot(A, d, p, q);
        // The WGSL skips |ga| <= 1e-9 sqrt(al be) (below f32 precision); here the f64 analogue.
        if (!(Math.abs(ga) > 1e-300 && Math.abs(ga) > 1e-15 * Math.sqrt(al * be))) continue;
        const zeta = (be - al) / (2 * ga);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotate(A, d, p, q, c, c * t);
        rotate(V, d, p, q, c, c * t);
        rotated = true;
      }
    }
    if (!rotated) break;
  }
  let k = 0;
  for (let i = 0; i < d; i++) {
    s[i] = Math.sqrt(colDot(A, d, i, i));
    for (let r = 0; r < d; r++) U[i * d + r] = A[i * d + r] / Math.max(s[i], 1e-300);
    if (s[i] < s[k]) k = i;
  }
  completeBasisInto(U, k);
  s[k] = colDotAB(A, U, d, k);
  return out;
}

/** Column k of U replaced by completeBasis(U, k), in place (it reads only the other columns). */
function completeBasisInto(U: Mat, k: number): void {
  if (U.length === 4) {
    if (k === 0) { U[0] = U[3]; U[1] = -U[2]; } else { U[2] = -U[1]; U[3] = U[0]; }
  } else {
    const a = ((k + 1) % 3) * 3, b = ((k + 2) % 3) * 3, o = 3 * k;
    U[o] = U[a + 1] * U[b + 2] - U[a + 2] * U[b + 1];
    U[o + 1] = U[a + 2] * U[b] - U[a] * U[b + 2];
    U[o + 2] = U[a] * U[b + 1] - U[a + 1] * U[b];
  }
}

/** Dot product of column k of a with column k of b (d x d). */
function colDotAB(a: Mat, b: Mat, d: number, k: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[k * d + i] * b[k * d + i];
  return s;
}

/** U diag(s) V^T */
export function svdCompose(r: Svd, s: Vec): Mat {
  const d = matDim(r.U);
  const US = new Float64Array(d * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) US[j * d + i] = r.U[j * d + i] * s[j];
  return mul(US, transpose(r.V));
}

/**
 * The rotation matrix of a rigid body's orientation (dim2.wgsl / dim3.wgsl `rotation`): an angle
 * o[0] in 2D, a quaternion (x, y, z, w) in 3D, normalised first.
 */
export function rotation(dim: Dim, o: ArrayLike<number>): Mat {
  if (dim === 2) {
    const c = Math.cos(o[0]), s = Math.sin(o[0]);
    return Float64Array.of(c, s, -s, c);
  }
  const n = Math.max(Math.hypot(o[0], o[1], o[2], o[3]), 1e-30);
  const [x, y, z, w] = [o[0] / n, o[1] / n, o[2] / n, o[3] / n];
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w),
    2 * (x * y - z * w), 1 - 2 * (x * x + z * z), 2 * (y * z + x * w),
    2 * (x * z + y * w), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y));
}

/** omega x r: the velocity of a point at r from the axis, omega a scalar (2D) or a vector (3D). */
export function spin(dim: Dim, w: ArrayLike<number>, r: Vec): Vec {
  if (dim === 2) return Float64Array.of(-w[0] * r[1], w[0] * r[0]);
  return Float64Array.of(w[1] * r[2] - w[2] * r[1], w[2] * r[0] - w[0] * r[2], w[0] * r[1] - w[1] * r[0]);
}
