// Finite differences for gradient checks: the directional derivative of a scalar function of a
// Float64Array, checked against an adjoint's dot product with the same direction (Warp's gradcheck
// idea: compare magnitude and sign along random directions rather than every coordinate).

/** Seeded uniform [0, 1) generator (mulberry32), so tests are reproducible. */
export { mulberry32 as rng } from './rng';

/** Unit vector of length n with a uniformly random direction; `mask` keeps only the entries where it is true. */
export function randomDirection(n: number, rand: () => number, mask?: (i: number) => boolean): Float64Array {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (mask && !mask(i)) continue;
    // Box-Muller: an isotropic Gaussian, normalised below.
    d[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  const len = Math.hypot(...d);
  if (!(len > 0)) throw new Error('randomDirection: the mask leaves no entry');
  return d.map((x) => x / len);
}

/** x + s dir (a new array). */
export function offset(x: Float64Array, dir: Float64Array, s: number): Float64Array {
  return x.map((xi, i) => xi + s * dir[i]);
}

/**
 * Central difference (f(x + eps dir) - f(x - eps dir)) / (2 eps) ~ grad f(x) . dir, error O(eps^2).
 * f must not keep or modify its argument.
 */
export function directionalFD(f: (x: Float64Array) => number, x: Float64Array, dir: Float64Array, eps: number): number {
  if (dir.length !== x.length) throw new Error(`directionalFD: dir has ${dir.length} entries, x has ${x.length}`);
  return (f(offset(x, dir, eps)) - f(offset(x, dir, -eps))) / (2 * eps);
}

/** |a - b| / max(|a|, |b|, floor): the relative error of a gradient check (0 when both are tiny). */
export function relError(a: number, b: number, floor = 1e-12): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}
