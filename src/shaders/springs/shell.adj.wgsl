// Triangle and hinge adjoints (3D). A triangle's share of vertex i (its `slot`): the JVP of the
// membrane force along lam, and lam_i . d f/d(mu), d f/d(lambda).
/** d(force on slot) along the vertices' adjoint vectors lam (the JVP = the transposed Jacobian's product). */
fn tri_force_jvp(b: u32, k: u32, slot: u32) -> vecD {
  let t = tri_rec(k);
  let F = tri_F(b, t);
  let mu = mat(b, t.mat, 2u);
  let la = mat(b, t.mat, 3u);
  let l0 = lam_at(b, t.v.x);
  let dF = mat2x3<f32>(lam_at(b, t.v.y) - l0, lam_at(b, t.v.z) - l0) * t.D;
  let dE = 0.5 * (transpose(dF) * F + transpose(F) * dF);
  let dP = dF * stvk_S(green(F), mu, la) + F * stvk_S(dE, mu, la);
  return slot_force(-t.area * dP * transpose(t.D), slot);
}
/** lam . d(force on slot)/d(mu) and /d(lambda). */
fn tri_param_terms(b: u32, k: u32, slot: u32, li: vecD) -> vec2<f32> {
  let t = tri_rec(k);
  let F = tri_F(b, t);
  let E = green(F);
  let tr = E[0][0] + E[1][1];
  let fmu = slot_force(tri_H(F, 2.0 * E, t), slot);
  let fla = slot_force(tri_H(F, mat2x2<f32>(tr, 0.0, 0.0, tr), t), slot);
  return vec2<f32>(dot(li, fmu), dot(li, fla));
}

fn tri_adjoint(b: u32, k: u32, slot: u32, li: vecD, i: u32) -> vecD {
  let m = tri_rec(k).mat;
  let tt = tri_param_terms(b, k, slot, li);
  terms[term_index(b, m * 5u + 2u, i)] += tt.x;
  terms[term_index(b, m * 5u + 3u, i)] += tt.y;
  return tri_force_jvp(b, k, slot);
}

// Hinge adjoints: the gather's share of vertex `slot` of hinge k, and dL/d(rest angle).
// f_q = -kb w (theta - rest) u_q, so along lam: d f_q = -kb w ((sum_p u_p . lam_p) u_q + (theta - rest) d u_q).
fn hinge_adjoint(b: u32, k: u32, slot: u32, li: vecD) -> vecD {
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  let l = array<vec3<f32>, 4>(lam_at(b, h.v.x), lam_at(b, h.v.y), lam_at(b, h.v.z), lam_at(b, h.v.w));
  var dtheta = 0.0;
  for (var q = 0u; q < 4u; q++) { dtheta += dot(hinge_u(x, q), l[q]); }
  let du = hinge_u_dual(array<Dv, 4>(Dv(x[0], l[0]), Dv(x[1], l[1]), Dv(x[2], l[2]), Dv(x[3], l[3])), slot);
  let th = hinge_theta(x);
  let rest = hinge_rest(b, k, h);
  let kb = mat(b, h.mat, 4u);
  var gx = (-FAULT * kb * h.w) * (dtheta * du.v + (th - rest) * du.d);
  let i = h.v[slot];
  terms[term_index(b, h.mat * 5u + 4u, i)] += dot(li, (-h.w * (th - rest)) * du.v);
  // plastic: where the hinge yields, rest' = theta - const follows x
  if (p.plastic != 0u) {
    let Y = mf(p.hinge_off + k * HINGE_WORDS + 7u);
    if (Y > 0.0 && abs(th - rest) > Y) { gx += g_out[p.tail_off + b * p.n_hinges + k] * du.v; }
  }
  return gx;
}

@compute @workgroup_size(64)
fn adj_hinge(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_hinges * p.batch) { return; }
  let b = gi / p.n_hinges;
  let k = gi - b * p.n_hinges;
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  let th = hinge_theta(x);
  let rest = hinge_rest(b, k, h);
  let Y = mf(p.hinge_off + k * HINGE_WORDS + 7u);
  var g = g_out[p.tail_off + gi];
  if (Y > 0.0 && abs(th - rest) > Y) { g = 0.0; }
  let c = mat(b, h.mat, 4u) * h.w;
  g += c * (dot(lam_at(b, h.v.x), hinge_u(x, 0u)) + dot(lam_at(b, h.v.y), hinge_u(x, 1u))
          + dot(lam_at(b, h.v.z), hinge_u(x, 2u)) + dot(lam_at(b, h.v.w), hinge_u(x, 3u)));
  g_in[p.tail_off + gi] = g;
}
