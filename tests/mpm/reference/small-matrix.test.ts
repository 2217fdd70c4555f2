import { describe, expect, it } from 'vitest';
import {
  cofactor, ddot, det, ident, mul, outer, svd, svdCompose, trace, transpose, type Dim, type Mat,
} from '../../../src/mpm/reference/small-matrix';
import { rng } from '../../../src/core/finite-diff';

const TOL = 1e-12;

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

function randomMat(dim: Dim, rand: () => number): Mat {
  return Float64Array.from({ length: dim * dim }, () => 4 * rand() - 2);
}

/** Random matrices of every kind the SVD meets: generic, inverted, near-identity, repeated and zero singular values. */
function samples(dim: Dim): Mat[] {
  const rand = rng(1234 + dim);
  const out: Mat[] = [];
  for (let i = 0; i < 300; i++) out.push(randomMat(dim, rand));
  for (let i = 0; i < 100; i++) out.push(ident(dim).map((x) => x + 1e-3 * (rand() - 0.5)));
  out.push(ident(dim), ident(dim).map((x) => -x), ident(dim).map((x) => 2 * x));
  const flip = ident(dim); flip[0] = -1; out.push(flip);
  const rank1 = outer(Float64Array.from({ length: dim }, rand), Float64Array.from({ length: dim }, rand));
  out.push(rank1);
  return out;
}

describe.each([2, 3] as const)('small-matrix %dD', (dim) => {
  it('multiplies, transposes and contracts column-major matrices', () => {
    const rand = rng(7);
    const a = randomMat(dim, rand), b = randomMat(dim, rand);
    const ab = mul(a, b);
    // (ab)[row i, col j] = sum_k a[i, k] b[k, j]
    const i = dim - 1, j = 0;
    let s = 0;
    for (let k = 0; k < dim; k++) s += a[k * dim + i] * b[j * dim + k];
    expect(ab[j * dim + i]).toBeCloseTo(s, 14);
    expect(maxAbsDiff(transpose(ab), mul(transpose(b), transpose(a)))).toBeLessThan(TOL);
    expect(trace(ab)).toBeCloseTo(ddot(transpose(a), b), 12);
    expect(det(ab)).toBeCloseTo(det(a) * det(b), 12);
    const u = Float64Array.from({ length: dim }, rand), v = Float64Array.from({ length: dim }, rand);
    const uv = outer(u, v);
    expect(uv[1 * dim + 0]).toBe(u[0] * v[1]); // column 1 is u * v[1]
    expect(trace(uv)).toBeCloseTo(ddot(u, v), 14);
    expect(mul(a, a, a)).toBe(a); // dst may alias an operand
  });

  it('cofactor is det * inverse-transpose', () => {
    for (const F of samples(dim).slice(0, 100)) {
      // cof^T F = det(F) I, i.e. cof = det F^{-T} where F is invertible.
      const lhs = mul(transpose(cofactor(F)), F);
      expect(maxAbsDiff(lhs, ident(dim).map((x) => x * det(F)))).toBeLessThan(TOL * 10);
    }
    if (dim === 2) expect(Array.from(cofactor(Float64Array.of(1, 2, 3, 4)))).toEqual([4, -3, -2, 1]);
  });

  it('signed SVD reconstructs F with proper rotations; the smallest value carries the sign', () => {
    let inverted = 0;
    for (const F of samples(dim)) {
      const r = svd(F);
      const scale = Math.max(1, Math.sqrt(ddot(F, F)));
      expect(maxAbsDiff(svdCompose(r, r.s), F) / scale).toBeLessThan(TOL);
      expect(maxAbsDiff(mul(transpose(r.U), r.U), ident(dim))).toBeLessThan(TOL);
      expect(maxAbsDiff(mul(transpose(r.V), r.V), ident(dim))).toBeLessThan(TOL);
      expect(det(r.U)).toBeCloseTo(1, 12);
      expect(det(r.V)).toBeCloseTo(1, 12);
      const k = r.s.reduce((kk, s, i) => (Math.abs(s) < Math.abs(r.s[kk]) ? i : kk), 0);
      r.s.forEach((s, i) => { if (i !== k) expect(s).toBeGreaterThanOrEqual(0); });
      if (det(F) < -1e-9) { inverted++; expect(r.s[k]).toBeLessThan(0); }
    }
    expect(inverted).toBeGreaterThan(50);
  });

  it('F = 0 gives s = 0 and, as the WGSL, no completed basis (U = 0): a known degenerate case', () => {
    const r = svd(new Float64Array(dim * dim));
    expect(Array.from(r.s)).toEqual(new Array(dim).fill(0));
    expect(r.U.every((x) => x === 0)).toBe(true);
    expect(Array.from(r.V)).toEqual(Array.from(ident(dim)));
  });

  it(`the GPU sweep count (${dim === 2 ? 1 : 5}) reaches float32 precision`, () => {
    // compose.ts: one Jacobi sweep is exact in 2D; five reach f32 precision in 3D.
    const sweeps = dim === 2 ? 1 : 5;
    // U = A / |A| column by column reconstructs F whatever the sweeps; convergence shows in the
    // orthogonality of U and in the completed column.
    let worst = 0, worstOrth = 0;
    for (const F of samples(dim)) {
      const r = svd(F, sweeps);
      worst = Math.max(worst, maxAbsDiff(svdCompose(r, r.s), F) / Math.max(1, Math.sqrt(ddot(F, F))));
      worstOrth = Math.max(worstOrth, maxAbsDiff(mul(transpose(r.U), r.U), ident(dim)));
    }
    expect(worst).toBeLessThan(dim === 2 ? 1e-14 : 1e-7);
    expect(worstOrth).toBeLessThan(dim === 2 ? 1e-14 : 1e-7);
  });
});
