// Constitutive models in float64, as src/shaders/mpm/material.wgsl (Kirchhoff stress tau = P F^T):
//   elastic / elastoplastic: fixed-corotated, tau = 2 mu (F - R) F^T + lambda J (J - 1) I
//   fluid: tau = K J (J - 1) I + eta J (C + C^T), K = lambda + 2 mu / dim (bulk modulus)
//   actuation (any material with an actuator): tau += a * strength * (F f)(F f)^T
// projection() is the return map after the F update: plastic singular-value clamp or fluid reset.
import { MAT_FLUID, MAT_PLASTIC, NO_ACTUATOR, type RefGroup } from './ref-model';
import {
  axpby, det, ident, matDim, mul, mulVec, outer, svd, svdCompose, transpose, type Mat,
} from './small-matrix';

/** F from a particle record: a fluid's holds F - I (material.wgsl), the others F. */
export function deformation(g: RefGroup, Fs: Mat): Mat {
  return g.material === MAT_FLUID ? axpby(ident(matDim(Fs)), 1, Fs, 1) : Fs;
}

/** The particle record of F: F - I for a fluid, F otherwise (a copy). */
export function stored(g: RefGroup, F: Mat): Mat {
  return g.material === MAT_FLUID ? axpby(F, 1, ident(matDim(F)), -1) : Float64Array.from(F);
}

/** Lame parameters [mu, lambda] from Young's modulus and Poisson ratio. */
export function lame(E: number, nu: number): [number, number] {
  return [E / (2 * (1 + nu)), (E * nu) / ((1 + nu) * (1 - 2 * nu))];
}

/** Kirchhoff stress of a particle with deformation gradient F, affine velocity C and actuation a. */
export function kirchhoff(g: RefGroup, F: Mat, C: Mat, a: number): Mat {
  const d = matDim(F);
  const [mu, la] = lame(g.E, g.nu);
  const J = det(F);
  let tau: Mat;
  if (g.material === MAT_FLUID) {
    const K = la + (2 * mu) / d;
    tau = axpby(ident(d), K * J * (J - 1), axpby(C, 1, transpose(C), 1), g.viscosity * J);
  } else {
    const r = svd(F);
    const R = mul(r.U, transpose(r.V));
    tau = axpby(mul(axpby(F, 1, R, -1), transpose(F)), 2 * mu, ident(d), la * J * (J - 1));
  }
  if (g.actuator !== NO_ACTUATOR) {
    const u = mulVec(F, g.fiber);
    axpby(tau, 1, outer(u, u), a * g.actStrength, tau);
  }
  return tau;
}

/** Return map after the F update: fluid F = J^(1/dim) I (J floored at 1e-6); plastic clamp. */
export function projection(g: RefGroup, F: Mat): Mat {
  const d = matDim(F);
  if (g.material === MAT_FLUID) {
    return axpby(ident(d), Math.pow(Math.max(det(F), 1e-6), 1 / d), F, 0);
  }
  if (g.material === MAT_PLASTIC) {
    const r = svd(F);
    const lo = 1 - g.thetaC, hi = 1 + g.thetaS;
    return svdCompose(r, r.s.map((s) => Math.min(Math.max(s, lo), hi)));
  }
  return Float64Array.from(F);
}
