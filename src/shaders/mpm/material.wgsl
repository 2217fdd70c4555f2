// Constitutive models, as Kirchhoff stress tau = P F^T, and their adjoints.
//   elastic / elastoplastic: fixed-corotated, tau = 2 mu (F - R) F^T + lambda J (J - 1) I
//   fluid: tau = K J (J - 1) I + eta J (C + C^T), K = lambda + 2 mu / DIM (bulk modulus)
//   actuation (any material with an actuator): tau += a * strength * (F f)(F f)^T, f the fiber
// After the F update, projection() applies plasticity (singular values clamped to
// [1 - theta_c, 1 + theta_s], Stomakhin et al. 2013) or the fluid reset F = J^(1/DIM) I.

fn lame(E: f32, nu: f32) -> vec2<f32> {
  return vec2<f32>(E / (2.0 * (1.0 + nu)), E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu)));
}

// The polar rotation of F that kirchhoff() and kirchhoff_adj() need (fluids need none; polar_rot
// in dim2.wgsl, dim3.wgsl): computed once per particle and shared, since it is the most expensive
// part of the stress in 3D (an SVD).
fn stress_rot(g: Group, F: matD) -> matD {
  if (g.material == MAT_FLUID) { return ident(); }
  return polar_rot(F);
}

fn kirchhoff(g: Group, F: matD, C: matD, a: f32, R: matD) -> matD {
  let lm = lame(g.E, g.nu);
  let J = det(F);
  var tau: matD;
  if (g.material == MAT_FLUID) {
    let K = lm.y + 2.0 * lm.x / f32(DIM);
    tau = ident() * (K * J * (J - 1.0)) + (C + transpose(C)) * (g.viscosity * J);
  } else {
    tau = 2.0 * lm.x * (F - R) * transpose(F) + ident() * (lm.y * J * (J - 1.0));
  }
  if (g.actuator != NO_ACTUATOR) {
    let u = F * g.fiber;
    tau += outer(u, u) * (a * g.act_strength);
  }
  return tau;
}

struct StressAdj { gF: matD, gC: matD, gE: f32, gnu: f32, ga: f32 }

// Given G = dL/dtau, the gradients with respect to F, C, E, nu and the actuation a.
fn kirchhoff_adj(g: Group, F: matD, C: matD, a: f32, G: matD, R: matD) -> StressAdj {
  var r: StressAdj;
  let lm = lame(g.E, g.nu);
  let J = det(F);
  let cof = cofactor(F);
  let trG = trace(G);
  var gmu = 0.0;
  var gla = 0.0;
  if (g.material == MAT_FLUID) {
    let K = lm.y + 2.0 * lm.x / f32(DIM);
    let gK = J * (J - 1.0) * trG;
    gla = gK;
    gmu = 2.0 * gK / f32(DIM);
    let sym = C + transpose(C);
    r.gF = cof * (K * trG * (2.0 * J - 1.0) + g.viscosity * ddot(sym, G));
    r.gC = (G + transpose(G)) * (g.viscosity * J);
  } else {
    let GF = G * F;
    r.gF = 2.0 * lm.x * (GF + transpose(G) * (F - R) - polar_rot_adj(R, F, GF))
         + cof * (lm.y * trG * (2.0 * J - 1.0));
    gmu = 2.0 * ddot((F - R) * transpose(F), G);
    gla = J * (J - 1.0) * trG;
  }
  if (g.actuator != NO_ACTUATOR) {
    let u = F * g.fiber;
    r.gF += (G + transpose(G)) * outer(u, g.fiber) * (a * g.act_strength);
    r.ga = g.act_strength * dot(u, G * u);
  }
  // mu = E / (2 (1 + nu)), lambda = E nu / ((1 + nu)(1 - 2 nu))
  let q = (1.0 + g.nu) * (1.0 - 2.0 * g.nu);
  r.gE = gmu / (2.0 * (1.0 + g.nu)) + gla * g.nu / q;
  r.gnu = -gmu * g.E / (2.0 * (1.0 + g.nu) * (1.0 + g.nu)) + gla * g.E * (1.0 + 2.0 * g.nu * g.nu) / (q * q);
  return r;
}

fn plastic_bounds(g: Group) -> vec2<f32> { return vec2<f32>(1.0 - g.theta_c, 1.0 + g.theta_s); }

fn projection(g: Group, F: matD) -> matD {
  if (g.material == MAT_FLUID) {
    return ident() * pow(max(det(F), 1e-6), 1.0 / f32(DIM));
  }
  if (g.material == MAT_PLASTIC) {
    let d = svd(F);
    let lh = plastic_bounds(g);
    return svd_compose(d, clamp(d.s, vecD(lh.x), vecD(lh.y)));
  }
  return F;
}

// Given G = dL/d(projection(F)), returns dL/dF.
fn projection_adj(g: Group, F: matD, G: matD) -> matD {
  if (g.material == MAT_FLUID) {
    let J = det(F);
    if (J <= 1e-6) { return matD(); }
    return cofactor(F) * (pow(J, 1.0 / f32(DIM) - 1.0) * trace(G) / f32(DIM));
  }
  if (g.material == MAT_PLASTIC) {
    let lh = plastic_bounds(g);
    // the projection is the identity there (clamp_free, prelude.wgsl): so is its adjoint, without an SVD
    if (clamp_free(F, lh)) { return G; }
    let d = svd(F);
    let h = clamp(d.s, vecD(lh.x), vecD(lh.y));
    let dh = select(vecD(0.0), vecD(1.0), (d.s > vecD(lh.x)) & (d.s < vecD(lh.y)));
    return spectral_adj(d, h, dh, G);
  }
  return G;
}
