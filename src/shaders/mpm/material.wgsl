// Constitutive models, as Kirchhoff stress tau = P F^T, and their adjoints.
//   elastic / elastoplastic: fixed-corotated, tau = 2 mu (F - R) F^T + lambda J (J - 1) I
//   fluid: tau = K J (J - 1) I + eta J (C + C^T), K = lambda + 2 mu / DIM (bulk modulus)
//   actuation (any material with an actuator): tau += a * strength * (F f)(F f)^T, f the fiber
// After the F update, projection() applies plasticity (singular values clamped to
// [1 - theta_c, 1 + theta_s], Stomakhin et al. 2013); a fluid's F is reset to J^(1/DIM) I.
//
// A fluid particle's record holds F - I, not F (the `Fs` of these functions; other materials hold
// F): its J - 1 is small, and F itself as float32 keeps J only to about 1e-7 of 1, so that the
// pressure K J (J - 1), and J(J - 1) in dL/dK, would keep few digits where the fluid is barely
// compressed. From F - I, det_dev (dim2.wgsl) gives J - 1 to float32 precision of itself.

// F from a particle record.
fn deformation(g: Group, Fs: matD) -> matD {
  if (g.material == MAT_FLUID) { return ident() + Fs; }
  return Fs;
}

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

fn kirchhoff(g: Group, Fs: matD, C: matD, a: f32, R: matD) -> matD {
  let lm = lame(g.E, g.nu);
  let F = deformation(g, Fs);
  var tau: matD;
  if (g.material == MAT_FLUID) {
    let K = lm.y + 2.0 * lm.x / f32(DIM);
    let J1 = det_dev(Fs); // J - 1
    let J = 1.0 + J1;
    tau = ident() * (K * J * J1) + (C + transpose(C)) * (g.viscosity * J);
  } else {
    let J = det(F);
    tau = 2.0 * lm.x * (F - R) * transpose(F) + ident() * (lm.y * J * (J - 1.0));
  }
  if (g.actuator != NO_ACTUATOR) {
    let u = F * g.fiber;
    tau += outer(u, u) * (a * g.act_strength);
  }
  return tau;
}

struct StressAdj { gF: matD, gC: matD, gE: f32, gnu: f32, ga: f32 }

// Given G = dL/dtau, the gradients with respect to the record's F (dL/dF, as F - I differs from
// F by a constant), C, E, nu and the actuation a.
fn kirchhoff_adj(g: Group, Fs: matD, C: matD, a: f32, G: matD, R: matD) -> StressAdj {
  var r: StressAdj;
  let lm = lame(g.E, g.nu);
  let F = deformation(g, Fs);
  let cof = cofactor(F);
  let trG = trace(G);
  var gmu = 0.0;
  var gla = 0.0;
  if (g.material == MAT_FLUID) {
    let K = lm.y + 2.0 * lm.x / f32(DIM);
    let J1 = det_dev(Fs);
    let J = 1.0 + J1;
    let gK = J * J1 * trG;
    gla = gK;
    gmu = 2.0 * gK / f32(DIM);
    let sym = C + transpose(C);
    r.gF = cof * (K * trG * (2.0 * J - 1.0) + g.viscosity * ddot(sym, G));
    r.gC = (G + transpose(G)) * (g.viscosity * J);
  } else {
    let J = det(F);
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

// J - 1 of a fluid after the F update (I + dC) F, dC = dt C', F = I + Fs: det(I + dC) det(F) - 1
// from the two deviations, J floored at 1e-6 (unfloored: fluid_j1_raw).
fn fluid_j1_raw(dC: matD, Fs: matD) -> f32 {
  let a = det_dev(dC);
  let b = det_dev(Fs);
  return a + b + a * b;
}

// J^(1/DIM) - 1 from u = J - 1: u / (1 + c + ... + c^(DIM-1)), c = J^(1/DIM), without the
// cancellation of J^(1/DIM) - 1.
fn fluid_root_dev(u: f32) -> f32 {
  let c = pow(1.0 + u, 1.0 / f32(DIM));
  var s = 0.0;
  var ck = 1.0;
  for (var k = 0u; k < DIM; k++) { s += ck; ck *= c; }
  return u / s;
}

// g2p's update of the record's F: F' = projection((I + dC) F), dC = dt C'. A fluid's F' is
// J'^(1/DIM) I, stored as (J'^(1/DIM) - 1) I.
fn deformation_update(g: Group, dC: matD, Fs: matD) -> matD {
  if (g.material == MAT_FLUID) {
    return ident() * fluid_root_dev(max(fluid_j1_raw(dC, Fs), 1e-6 - 1.0));
  }
  return projection(g, (ident() + dC) * Fs);
}

// Given G = dL/d(the record's F'), dL/dFpre at Fpre = (I + dC) F (F = deformation(g, Fs)).
fn deformation_update_adj(g: Group, dC: matD, Fs: matD, G: matD) -> matD {
  if (g.material == MAT_FLUID) {
    let u = fluid_j1_raw(dC, Fs);
    if (1.0 + u <= 1e-6) { return matD(); }
    // d(J^(1/DIM))/dFpre = J^(1/DIM - 1) / DIM cof(Fpre); the record's F' is that times I
    return cofactor((ident() + dC) * (ident() + Fs)) * (pow(1.0 + u, 1.0 / f32(DIM) - 1.0) * trace(G) / f32(DIM));
  }
  return projection_adj(g, (ident() + dC) * Fs, G);
}

// The return map of the solids (a fluid's is in deformation_update).
fn projection(g: Group, F: matD) -> matD {
  if (g.material == MAT_PLASTIC) {
    let lh = plastic_bounds(g);
    // the identity there, as its adjoint takes it (projection_adj): U S V^T would add the SVD's
    // rounding to F at every step, which a free-falling block's E gradient picked up as noise
    if (clamp_free(F, lh)) { return F; }
    let d = svd(F);
    return svd_compose(d, clamp(d.s, vecD(lh.x), vecD(lh.y)));
  }
  return F;
}

// Given G = dL/d(projection(F)), returns dL/dF.
fn projection_adj(g: Group, F: matD, G: matD) -> matD {
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
