// Constitutive models in float64, as src/shaders/mpm/material.wgsl (Kirchhoff stress tau = P F^T):
//   elastic / elastoplastic: fixed-corotated, tau = 2 mu (F - R) F^T + lambda J (J - 1) I
//   fluid: tau = K J (J - 1) I + eta J (C + C^T), K = lambda + 2 mu / dim (bulk modulus)
//   actuation (any material with an actuator): tau += a * strength * (F f)(F f)^T
// projection() is the return map after the F update: plastic singular-value clamp or fluid reset.
// The *Into forms write to preallocated arrays (the reference's step runs them per particle and
// allocates nothing); kirchhoff() and projection() wrap them. Each keeps the order of operations
// of the plain matrix expression it stands for, so both give the same floats.
import { MAT_FLUID, MAT_PLASTIC, NO_ACTUATOR, type RefGroup } from './ref-model';
import { det, matDim, svdInto, type Mat, type Svd, type Vec } from './small-matrix';

/** Lame parameters [mu, lambda] from Young's modulus and Poisson ratio. */
export function lame(E: number, nu: number): [number, number] {
  return [E / (2 * (1 + nu)), (E * nu) / ((1 + nu) * (1 - 2 * nu))];
}

/** Scratch arrays of one dimension for kirchhoffInto / projectionInto. */
export interface MaterialScratch { svd: Svd; A: Mat; R: Mat; M: Mat; u: Vec }

export function materialScratch(dim: number): MaterialScratch {
  const m = () => new Float64Array(dim * dim), v = () => new Float64Array(dim);
  return { svd: { U: m(), s: v(), V: m() }, A: m(), R: m(), M: m(), u: v() };
}

/** dst = a b^T (d x d, column-major); dst may not alias a or b. */
function mulABt(a: Mat, b: Mat, d: number, dst: Mat): void {
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[k * d + i] * b[k * d + j];
      dst[j * d + i] = s;
    }
  }
}

/** Kirchhoff stress of a particle with deformation gradient F, affine velocity C and actuation a. */
export function kirchhoff(g: RefGroup, F: Mat, C: Mat, a: number): Mat {
  const d = matDim(F);
  const [mu, la] = lame(g.E, g.nu);
  return kirchhoffInto(new Float64Array(d * d), g, mu, la, F, C, a, materialScratch(d));
}

/** kirchhoff() into dst, with the group's Lame parameters (mu, la) given. */
export function kirchhoffInto(dst: Mat, g: RefGroup, mu: number, la: number, F: Mat, C: Mat, a: number, ws: MaterialScratch): Mat {
  const d = F.length === 4 ? 2 : 3, dd = d * d;
  const J = det(F);
  if (g.material === MAT_FLUID) {
    const K = la + (2 * mu) / d;
    const sp = K * J * (J - 1), sv = g.viscosity * J;
    // I (K J (J - 1)) + (C + C^T) (eta J)
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < d; i++) dst[j * d + i] = (i === j ? 1 : 0) * sp + (C[j * d + i] + C[i * d + j]) * sv;
    }
  } else {
    const { svd, R, M } = ws;
    svdInto(F, svd, ws.A);
    mulABt(svd.U, svd.V, d, R); // R = U V^T
    for (let i = 0; i < dd; i++) R[i] = F[i] - R[i]; // F - R, in place
    mulABt(R, F, d, M); // (F - R) F^T
    const s2 = 2 * mu, sp = la * J * (J - 1);
    for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) dst[j * d + i] = M[j * d + i] * s2 + (i === j ? 1 : 0) * sp;
  }
  if (g.actuator !== NO_ACTUATOR) {
    const u = ws.u, f = g.fiber, sa = a * g.actStrength;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += F[j * d + i] * f[j];
      u[i] = s;
    }
    for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) dst[j * d + i] = dst[j * d + i] * 1 + u[i] * u[j] * sa;
  }
  return dst;
}

/** Return map after the F update: fluid F = J^(1/dim) I (J floored at 1e-6); plastic clamp. */
export function projection(g: RefGroup, F: Mat): Mat {
  return projectionInto(new Float64Array(F.length), g, F, materialScratch(matDim(F)));
}

/** projection() into dst; dst may alias F. */
export function projectionInto(dst: Mat, g: RefGroup, F: Mat, ws: MaterialScratch): Mat {
  const d = F.length === 4 ? 2 : 3;
  if (g.material === MAT_FLUID) {
    const s = Math.pow(Math.max(det(F), 1e-6), 1 / d);
    for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) dst[j * d + i] = (i === j ? 1 : 0) * s + F[j * d + i] * 0;
    return dst;
  }
  if (g.material === MAT_PLASTIC) {
    const { svd, M } = ws;
    svdInto(F, svd, ws.A);
    const lo = 1 - g.thetaC, hi = 1 + g.thetaS;
    // U diag(clamped s) V^T
    for (let j = 0; j < d; j++) {
      const sj = Math.min(Math.max(svd.s[j], lo), hi);
      for (let i = 0; i < d; i++) M[j * d + i] = svd.U[j * d + i] * sj;
    }
    mulABt(M, svd.V, d, dst);
    return dst;
  }
  if (dst !== F) dst.set(F);
  return dst;
}
