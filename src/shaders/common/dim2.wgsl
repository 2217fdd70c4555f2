// 2D-only small-matrix helpers. Everything generic over DIM lives in prelude.wgsl; only what
// cannot be written as a loop over DIM (determinant, cofactor, right-handed basis completion) is here.
alias vecD = vec2<f32>;
alias vecDi = vec2<i32>;
alias matD = mat2x2<f32>;

fn det(m: matD) -> f32 { return determinant(m); }
// det(I + D) - 1 without forming I + D: D's small entries keep their digits (fluid records).
fn det_dev(D: matD) -> f32 { return D[0][0] + D[1][1] + determinant(D); }

// Per-node grid record (grid_v, grid_vin, g_grid): one vec4, a vector in the first DIM components
// and a scalar (mass, or its gradient) in w. One vec4 access per node (see particleAccessors).
fn node_rec(v: vecD, m: f32) -> vec4<f32> { return vec4<f32>(v, 0.0, m); }
fn node_v(r: vec4<f32>) -> vecD { return r.xy; }

// The step adjoint's two records per node (adj_node: grid_update.adj.wgsl writes them, p2g.adj.wgsl
// reads them): the floats dL/dmv, the velocity after contacts v, dgm (the part of dL/dm that
// contacts add: zero at a node without any, see grid_update.adj.wgsl) and the mass m, in that
// order over two vec4s. A particle whose stencil no contact touches needs only dL/dmv and v, the
// first 2 DIM floats: in 2D the first record (ADJ_V_IN_FIRST).
const ADJ_V_IN_FIRST: bool = true;
fn adj_pack(gmv: vecD, dgm: f32, v: vecD, m: f32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(gmv, v), vec4<f32>(dgm, m, 0.0, 0.0));
}
fn adj_gmv(r0: vec4<f32>) -> vecD { return r0.xy; }
fn adj_v(r0: vec4<f32>, r1: vec4<f32>) -> vecD { return r0.zw; }
fn adj_dgm(r0: vec4<f32>, r1: vec4<f32>) -> f32 { return r1.x; }

// Grid coordinates of a node-kernel invocation (x, y, z) as a node (z = 0 in 2D).
fn node_of(c: vec3<u32>) -> vecDi { return vec2<i32>(c.xy); }
// The z layer of a node (node_of's inverse on z).
fn node_layer(n: vecDi) -> u32 { return 0u; }

// cof(m) = det(m) * m^{-T}: d det(m) / dm.
fn cofactor(m: matD) -> matD {
  return matD(vecD(m[1][1], -m[1][0]), vecD(-m[0][1], m[0][0]));
}

// Replace column k of an orthonormal U so that det(U) = +1 (signed SVD convention).
fn complete_basis(U: matD, k: u32) -> vecD {
  if (k == 0u) { return vecD(U[1].y, -U[1].x); }
  return vecD(-U[0].y, U[0].x);
}

// The rotation R of F's polar decomposition F = R S (det R = +1, S symmetric), as the elastic
// stress and its adjoint use it (material.wgsl). In 2D in closed form: R turns by
// theta = atan2(F10 - F01, F00 + F11), the angle that maximises tr(R^T F) = |(F00 + F11, F10 - F01)|,
// which is s1 + s2, the sum of the signed singular values (the SVD's convention, prelude.wgsl).
// One inverse square root where the Jacobi SVD took four roots and a division per column (2D
// elastoplastic 24k: p2g's adjoint about a fifth faster).
fn polar_rot(F: matD) -> matD {
  let a = F[0].x + F[1].y;
  let q = F[0].y - F[1].x;
  let r2 = a * a + q * q;
  // r = 0: F = [[p, t], [t, -p]], every rotation as near; the identity, as for F = 0
  let k = inverseSqrt(max(r2, 1e-30));
  let c = select(a * k, 1.0, r2 < 1e-30);
  let s = select(q * k, 0.0, r2 < 1e-30);
  return matD(vecD(c, s), vecD(-s, c));
}

// Given R = polar_rot(F) and gR = dL/dR, dL/dF. dR = R J dtheta (J the quarter turn) and
// dtheta = (c dq - s da) / r for a = F00 + F11, q = F10 - F01, r = tr(R^T F): dL/dF is RJ times
// (gR : RJ) / r, with r kept from 0 as spectral_adj keeps s_i + s_j (the 3D form, dim3.wgsl, in 2D).
fn polar_rot_adj(R: matD, F: matD, gR: matD) -> matD {
  let T = matD(vecD(-R[0].y, R[0].x), vecD(-R[1].y, R[1].x));
  let r = dot(R[0], F[0]) + dot(R[1], F[1]);
  return T * ((dot(gR[0], T[0]) + dot(gR[1], T[1])) / max(r, 1e-6));
}

// A rigid body's orientation and spin (colliders): in 2D an angle theta (o.x) and an angular
// velocity omega (w.x); 3D stores a quaternion and a vector (dim3.wgsl). ORIENT_COMPS and
// SPIN_COMPS are how many of the four floats each uses.
const ORIENT_COMPS: u32 = 1u;
const SPIN_COMPS: u32 = 1u;

// The rotation matrix of orientation o: [[cos, -sin], [sin, cos]].
fn rotation(o: vec4<f32>) -> matD {
  let c = cos(o.x);
  let s = sin(o.x);
  return matD(vecD(c, s), vecD(-s, c));
}

// dL/do given gR = dL/dR.
fn rotation_adj(o: vec4<f32>, gR: matD) -> vec4<f32> {
  let c = cos(o.x);
  let s = sin(o.x);
  return vec4<f32>(dot(gR[0], vecD(-s, c)) + dot(gR[1], vecD(-c, -s)), 0.0, 0.0, 0.0);
}

// The velocity omega x r of a point at r from the axis.
fn spin(w: vec4<f32>, r: vecD) -> vecD { return w.x * vecD(-r.y, r.x); }

// Given g = dL/d(spin(w, r)): dL/dw and dL/dr.
struct SpinAdj { gw: vec4<f32>, gr: vecD }
fn spin_adj(w: vec4<f32>, r: vecD, g: vecD) -> SpinAdj {
  return SpinAdj(vec4<f32>(dot(g, vecD(-r.y, r.x)), 0.0, 0.0, 0.0), w.x * vecD(g.y, -g.x));
}
