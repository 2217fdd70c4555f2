// Triangle and hinge adjoints (3D), one element at a time: for each corner c, (df/dx_c)^T lam (the
// JVP of the element's forces along its corners' adjoint vectors lam, the transposed Jacobian's
// product since the Hessian is symmetric) and lam_c . df_c/d(material field). The split path's
// per-element pass (elements.adj.wgsl) computes them once per element; the fused path's gather
// picks its corner (tri_share, hinge_share): the same function, so the same bits.

/** A triangle's share per corner: g[c] into dL/dx_c, tmu[c] and tla[c] into dL/d(mu), dL/d(lambda). */
struct TriAdj { g: array<vec3<f32>, 3>, tmu: array<f32, 3>, tla: array<f32, 3> }
fn tri_element_adjoint(b: u32, k: u32) -> TriAdj {
  let t = tri_rec(k);
  let F = tri_F(b, t);
  let mu = mat(b, t.mat, 2u);
  let la = mat(b, t.mat, 3u);
  let l = array<vec3<f32>, 3>(lam_at(b, t.v.x), lam_at(b, t.v.y), lam_at(b, t.v.z));
  // d(force) along lam: dP = dF S(E) + F S(dE)
  let dF = mat2x3<f32>(l[1] - l[0], l[2] - l[0]) * t.D;
  let dE = 0.5 * (transpose(dF) * F + transpose(F) * dF);
  let E = green(F);
  let dP = dF * stvk_S(E, mu, la) + F * stvk_S(dE, mu, la);
  let H = -t.area * dP * transpose(t.D);
  // d(force)/d(mu) and /d(lambda): S's derivatives 2E and tr(E) I
  let tr = E[0][0] + E[1][1];
  let Hmu = tri_H(F, 2.0 * E, t);
  let Hla = tri_H(F, mat2x2<f32>(tr, 0.0, 0.0, tr), t);
  var r: TriAdj;
  for (var c = 0u; c < 3u; c++) {
    r.g[c] = slot_force(H, c);
    r.tmu[c] = dot(l[c], slot_force(Hmu, c));
    r.tla[c] = dot(l[c], slot_force(Hla, c));
  }
  return r;
}

/** The fused gather's share of corner `slot` of triangle k. */
fn tri_share(b: u32, k: u32, slot: u32) -> ShellShare {
  let r = tri_element_adjoint(b, k);
  return ShellShare(r.g[slot], tri_rec(k).mat, vec3<f32>(r.tmu[slot], r.tla[slot], 0.0));
}

// Hinges: f_q = -kb w (theta - rest) u_q, so along lam: d f_q = -kb w ((sum_p u_p . lam_p) u_q + (theta - rest) d u_q);
// lam_q . df_q/d(kb) = lam_q . (-w (theta - rest) u_q). Plastic: where the hinge yields, rest' = theta - const
// follows x, adding dL/d(rest') u_q.
/** A hinge's share per corner: g[c] into dL/dx_c, t[c] into dL/d(bending). */
struct HingeAdj { g: array<vec3<f32>, 4>, t: array<f32, 4> }
fn hinge_element_adjoint(b: u32, k: u32) -> HingeAdj {
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  let l = array<vec3<f32>, 4>(lam_at(b, h.v.x), lam_at(b, h.v.y), lam_at(b, h.v.z), lam_at(b, h.v.w));
  let j = hinge_jvp(x, l);
  var dtheta = 0.0;
  for (var q = 0u; q < 4u; q++) { dtheta += dot(j.u[q], l[q]); }
  let bend = hinge_bend(j.theta, hinge_rest(b, k, h));
  let kb = mat(b, h.mat, 4u);
  var yielded = false;
  if (p.plastic != 0u) {
    let Y = mf(p.hinge_off + k * HINGE_WORDS + 7u);
    yielded = Y > 0.0 && !hinge_collapsed(x) && abs(bend) > Y;
  }
  var r: HingeAdj;
  for (var c = 0u; c < 4u; c++) {
    r.g[c] = (-p.fault * kb * h.w) * (dtheta * j.u[c] + bend * j.du[c]);
    if (yielded) { r.g[c] += g_out[p.tail_off + b * p.n_hinges + k] * j.u[c]; }
    r.t[c] = dot(l[c], (-h.w * bend) * j.u[c]);
  }
  return r;
}

/** The fused gather's share of corner `slot` of hinge k. */
fn hinge_share(b: u32, k: u32, slot: u32) -> ShellShare {
  let r = hinge_element_adjoint(b, k);
  return ShellShare(r.g[slot], hinge_rec(k).mat, vec3<f32>(0.0, 0.0, r.t[slot]));
}

@compute @workgroup_size(64)
fn adj_hinge(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_hinges * p.batch) { return; }
  let b = gi / p.n_hinges;
  let k = gi - b * p.n_hinges;
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  let bend = hinge_bend(hinge_theta(x), hinge_rest(b, k, h));
  let Y = mf(p.hinge_off + k * HINGE_WORDS + 7u);
  var g = g_out[p.tail_off + gi];
  if (Y > 0.0 && !hinge_collapsed(x) && abs(bend) > Y) { g = 0.0; }
  let c = mat(b, h.mat, 4u) * h.w;
  let u = hinge_u4(x);
  g += c * (dot(lam_at(b, h.v.x), u[0]) + dot(lam_at(b, h.v.y), u[1])
          + dot(lam_at(b, h.v.z), u[2]) + dot(lam_at(b, h.v.w), u[3]));
  g_in[p.tail_off + gi] = g;
}
