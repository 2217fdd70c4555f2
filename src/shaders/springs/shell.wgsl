// Thin-shell elements (3D only): membrane triangles and bending hinges, their forces on one
// vertex, the directional derivatives the adjoint needs, and the parameter derivatives.
//
// Membrane: StVK on the triangle's deformation gradient F = [x1 - x0, x2 - x0] Dm^-1 (3x2), with
// E = (F^T F - I) / 2, S = 2 mu E + lambda tr(E) I, energy area (mu |E|^2 + lambda tr(E)^2 / 2);
// the forces on vertices 1 and 2 are the columns of -area F S Dm^-T, vertex 0 takes minus their sum.
// Bending: energy kb w (theta - theta_rest)^2 / 2 per hinge, w = 3 |e|^2 / (A1 + A2) at rest
// (Grinspun et al. 2003), theta the signed dihedral angle; its gradients u_q (Bridson et al. 2003).

struct TriRec { v: vec3<u32>, mat: u32, D: mat2x2<f32>, area: f32 }
fn tri_rec(k: u32) -> TriRec {
  let o = p.tri_off + k * TRI_WORDS;
  return TriRec(vec3<u32>(model[o], model[o + 1u], model[o + 2u]), model[o + 3u],
    mat2x2<f32>(mf(o + 4u), mf(o + 5u), mf(o + 6u), mf(o + 7u)), mf(o + 8u));
}
fn tri_F(b: u32, t: TriRec) -> mat2x3<f32> {
  let x0 = x_at(b, t.v.x);
  return mat2x3<f32>(x_at(b, t.v.y) - x0, x_at(b, t.v.z) - x0) * t.D;
}
fn green(F: mat2x3<f32>) -> mat2x2<f32> {
  return 0.5 * (transpose(F) * F - mat2x2<f32>(1.0, 0.0, 0.0, 1.0));
}
fn stvk_S(E: mat2x2<f32>, mu: f32, la: f32) -> mat2x2<f32> {
  let tr = E[0][0] + E[1][1];
  return 2.0 * mu * E + mat2x2<f32>(la * tr, 0.0, 0.0, la * tr);
}
/** The force on the triangle's vertex `slot` from the columns H = -area P Dm^T (forces on 1, 2). */
fn slot_force(H: mat2x3<f32>, slot: u32) -> vec3<f32> {
  if (slot == 0u) { return -(H[0] + H[1]); }
  return H[slot - 1u];
}
fn tri_H(F: mat2x3<f32>, S: mat2x2<f32>, t: TriRec) -> mat2x3<f32> {
  return -t.area * (F * S) * transpose(t.D);
}
fn tri_force(b: u32, k: u32, slot: u32) -> vecD {
  let t = tri_rec(k);
  let F = tri_F(b, t);
  return slot_force(tri_H(F, stvk_S(green(F), mat(b, t.mat, 2u), mat(b, t.mat, 3u)), t), slot);
}
struct HingeRec { v: vec4<u32>, mat: u32, w: f32, rest0: f32 }
fn hinge_rec(k: u32) -> HingeRec {
  let o = p.hinge_off + k * HINGE_WORDS;
  return HingeRec(vec4<u32>(model[o], model[o + 1u], model[o + 2u], model[o + 3u]), model[o + 4u], mf(o + 5u), mf(o + 6u));
}
fn hinge_rest(b: u32, k: u32, h: HingeRec) -> f32 {
  if (p.plastic != 0u) { return s_in[p.tail_off + b * p.n_hinges + k]; }
  return h.rest0;
}
fn hinge_x(b: u32, h: HingeRec) -> array<vec3<f32>, 4> {
  return array<vec3<f32>, 4>(x_at(b, h.v.x), x_at(b, h.v.y), x_at(b, h.v.z), x_at(b, h.v.w));
}
// A hinge whose edge or a wing has collapsed (a gripper carried a corner onto another, say) has no
// angle, and its u_q grow as 1 / the wing's height: it bends nothing (theta 0, u 0) and a plastic
// hinge keeps its rest angle. Collapsed: a wing's height under 1e-6 of the edge's length (the same
// test in the reference, hingeCollapsed).
fn hinge_collapsed_at(e: vec3<f32>, n1: vec3<f32>, n2: vec3<f32>) -> bool {
  let ee = dot(e, e);
  let floor = 1e-12 * ee * ee;
  return !(ee > 0.0 && dot(n1, n1) > floor && dot(n2, n2) > floor);
}
fn hinge_collapsed(x: array<vec3<f32>, 4>) -> bool {
  let e = x[1] - x[0];
  return hinge_collapsed_at(e, cross(e, x[2] - x[0]), cross(x[0] - x[1], x[3] - x[1]));
}
// atan2 with a zero sine read as +0: a flat hinge whose sine rounds to -0 is at angle 0, not -0 or
// -pi as some atan2 implementations give for a -0 argument (SwiftShader: a flat OBJ sheet kicked).
fn hinge_atan2(s: f32, c: f32) -> f32 {
  return atan2(select(s, 0.0, s == 0.0), c);
}
fn hinge_theta(x: array<vec3<f32>, 4>) -> f32 {
  let e = x[1] - x[0];
  let n1 = cross(e, x[2] - x[0]);
  let n2 = cross(x[0] - x[1], x[3] - x[1]);
  if (hinge_collapsed_at(e, n1, n2)) { return 0.0; }
  return hinge_atan2(dot(cross(n2, n1), e) / length(e), dot(n1, n2));
}

/** A hinge's angle, its gradients u_q = d(theta)/d(x_q) and their derivatives du_q along the corners' tangents l. */
struct HingeJvp { theta: f32, u: array<vec3<f32>, 4>, du: array<vec3<f32>, 4> }
/**
 * hinge_u4's closed form, differentiated by hand along l with each edge and normal formed once:
 * with e = x1 - x0, n1 = e x (x2 - x0), n2 = -e x (x3 - x1), m_i = n_i / |n_i|^2,
 * a2 = (x2 - x0).e / |e| and a3 = (x3 - x1).e / |e|, the wings take u2 = |e| m1, u3 = |e| m2 and the
 * edge u0 = (a2 - |e|) m1 + a3 m2, u1 = -(a2 m1 + (a3 + |e|) m2); d(m) = (dn - 2 (m . dn) n) / |n|^2.
 * theta is hinge_theta's expression on the same e, n1, n2 (x0 - x1 is -e exactly), so the same bits.
 */
fn hinge_jvp(x: array<vec3<f32>, 4>, l: array<vec3<f32>, 4>) -> HingeJvp {
  let e = x[1] - x[0];
  let p2 = x[2] - x[0];
  let p3 = x[3] - x[1];
  let n1 = cross(e, p2);
  let n2 = cross(-e, p3);
  var r: HingeJvp;
  if (hinge_collapsed_at(e, n1, n2)) { return r; }
  let len = length(e);
  let theta = hinge_atan2(dot(cross(n2, n1), e) / len, dot(n1, n2));
  let de = l[1] - l[0];
  let dp2 = l[2] - l[0];
  let dp3 = l[3] - l[1];
  let dn1 = cross(de, p2) + cross(e, dp2);
  let dn2 = cross(p3, de) - cross(e, dp3);
  let s1 = 1.0 / dot(n1, n1);
  let s2 = 1.0 / dot(n2, n2);
  let m1 = n1 * s1;
  let m2 = n2 * s2;
  let dm1 = (dn1 - (2.0 * dot(m1, dn1)) * n1) * s1;
  let dm2 = (dn2 - (2.0 * dot(m2, dn2)) * n2) * s2;
  let il = 1.0 / len;
  let dl = dot(e, de) * il;
  let a2 = dot(p2, e) * il;
  let a3 = dot(p3, e) * il;
  let da2 = (dot(dp2, e) + dot(p2, de) - a2 * dl) * il;
  let da3 = (dot(dp3, e) + dot(p3, de) - a3 * dl) * il;
  r.theta = theta;
  r.u = array<vec3<f32>, 4>((a2 - len) * m1 + a3 * m2, -(a2 * m1 + (a3 + len) * m2), len * m1, len * m2);
  r.du = array<vec3<f32>, 4>(
    (a2 - len) * dm1 + (da2 - dl) * m1 + a3 * dm2 + da3 * m2,
    -(a2 * dm1 + da2 * m1 + (a3 + len) * dm2 + (da3 + dl) * m2),
    len * dm1 + dl * m1,
    len * dm2 + dl * m2);
  return r;
}
/** u_q for all four slots from one set of edges and normals (the forward's; hinge_jvp adds the tangents). */
fn hinge_u4(x: array<vec3<f32>, 4>) -> array<vec3<f32>, 4> {
  let e = x[1] - x[0];
  let l = length(e);
  let n1 = cross(e, x[2] - x[0]);
  let n2 = cross(x[0] - x[1], x[3] - x[1]);
  if (hinge_collapsed_at(e, n1, n2)) { return array<vec3<f32>, 4>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0)); }
  let m1 = n1 / dot(n1, n1);
  let m2 = n2 / dot(n2, n2);
  return array<vec3<f32>, 4>(
    m1 * (dot(x[2] - x[1], e) / l) + m2 * (dot(x[3] - x[1], e) / l),
    -(m1 * (dot(x[2] - x[0], e) / l) + m2 * (dot(x[3] - x[0], e) / l)),
    m1 * l,
    m2 * l);
}
/** hinge_u4 at one slot, for the adjoint's d(theta). */
fn hinge_u(x: array<vec3<f32>, 4>, slot: u32) -> vec3<f32> {
  let u = hinge_u4(x);
  return u[slot];
}
/**
 * theta - rest the short way round, in [-pi, pi]: theta is an atan2, so a fold near 180 degrees that
 * closes past it reads -180 + e, and the plain difference (near -2 pi) bent it on the long way with
 * 2 pi of force; elsewhere (|theta - rest| <= pi) the plain difference, bit for bit.
 */
const PI: f32 = 3.14159265358979;
fn hinge_bend(theta: f32, rest: f32) -> f32 {
  let d = theta - rest;
  if (abs(d) <= PI) { return d; }
  return d - 2.0 * PI * round(d / (2.0 * PI));
}
/** The hinge's bending force per unit d(theta)/dx: -kb w (theta - rest). */
fn hinge_scale(b: u32, k: u32, h: HingeRec, x: array<vec3<f32>, 4>) -> f32 {
  return -mat(b, h.mat, 4u) * h.w * hinge_bend(hinge_theta(x), hinge_rest(b, k, h));
}
fn hinge_force(b: u32, k: u32, slot: u32) -> vecD {
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  return hinge_scale(b, k, h, x) * hinge_u(x, slot);
}
