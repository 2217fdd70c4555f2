// 3D-only small-matrix helpers (see dim2.wgsl for why these are not generic).
alias vecD = vec3<f32>;
alias vecDi = vec3<i32>;
alias matD = mat3x3<f32>;

fn det(m: matD) -> f32 { return determinant(m); }
// det(I + D) - 1 = tr D + (its principal 2x2 minors) + det D: see dim2.wgsl.
fn det_dev(D: matD) -> f32 {
  let minors = D[0][0] * D[1][1] - D[1][0] * D[0][1] + D[0][0] * D[2][2] - D[2][0] * D[0][2]
             + D[1][1] * D[2][2] - D[2][1] * D[1][2];
  return D[0][0] + D[1][1] + D[2][2] + minors + determinant(D);
}

// Per-node grid record: see dim2.wgsl.
fn node_rec(v: vecD, m: f32) -> vec4<f32> { return vec4<f32>(v, m); }
fn node_v(r: vec4<f32>) -> vecD { return r.xyz; }

// The step adjoint's two records per node, in the order of dim2.wgsl: (dL/dmv, v.x) and
// (v.y, v.z, dgm, m). Without contacts p2g's adjoint reads six floats: the first record and the
// first two of the second (a driver loads only the components a shader uses).
const ADJ_V_IN_FIRST: bool = false;
fn adj_pack(gmv: vecD, dgm: f32, v: vecD, m: f32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(vec4<f32>(gmv, v.x), vec4<f32>(v.y, v.z, dgm, m));
}
fn adj_gmv(r0: vec4<f32>) -> vecD { return r0.xyz; }
fn adj_v(r0: vec4<f32>, r1: vec4<f32>) -> vecD { return vec3<f32>(r0.w, r1.x, r1.y); }
fn adj_dgm(r0: vec4<f32>, r1: vec4<f32>) -> f32 { return r1.z; }
fn node_of(c: vec3<u32>) -> vecDi { return vec3<i32>(c); }
fn node_layer(n: vecDi) -> u32 { return u32(n.z); }

// cof(m) = det(m) * m^{-T}: d det(m) / dm. Columns of the cofactor are cross products of columns.
fn cofactor(m: matD) -> matD {
  return matD(cross(m[1], m[2]), cross(m[2], m[0]), cross(m[0], m[1]));
}

// Replace column k of an orthonormal U so that det(U) = +1 (signed SVD convention).
fn complete_basis(U: matD, k: u32) -> vecD {
  return cross(U[(k + 1u) % 3u], U[(k + 2u) % 3u]);
}

// The rotation R of F's polar decomposition (see dim2.wgsl): in 3D from the SVD, R = U V^T.
fn polar_rot(F: matD) -> matD {
  let d = svd(F);
  return d.U * transpose(d.V);
}

// Given R = polar_rot(F) and gR = dL/dR, dL/dF, without the SVD. With S = R^T F (symmetric) and
// dR = R [w]x, the skew part of R^T dF gives (tr(S) I - S) w = axial(R^T dF - dF^T R), so
// dL/dF = R [y]x with (tr(S) I - S) y = axial(R^T gR - gR^T R). tr(S) I - S has the eigenvalues
// s_i + s_j (signed singular values, never negative by the SVD's sign convention); its inverse
// is taken as adj / det with det kept above 1e-6 tr(adj), which caps the smallest pair's
// 1 / (s_i + s_j) near 1e6 as spectral_adj's guard does. Two products and a 3 x 3 solve where
// spectral_adj takes two sandwiches and a division per pair, and no SVD: the polar's adjoint
// needs only R, which the forward part of the same kernel already has.
fn polar_rot_adj(R: matD, F: matD, gR: matD) -> matD {
  let S0 = transpose(R) * F;
  let S = (S0 + transpose(S0)) * 0.5;
  let M = transpose(R) * gR;
  let k = vecD(M[1][2] - M[2][1], M[2][0] - M[0][2], M[0][1] - M[1][0]);
  let Z = ident() * (S[0][0] + S[1][1] + S[2][2]) - S;
  let adj = cofactor(Z); // the adjugate's transpose; Z is symmetric
  let dz = max(dot(Z[0], adj[0]), max(1e-6 * (adj[0][0] + adj[1][1] + adj[2][2]), 1e-30));
  let y = (adj * k) / dz;
  return R * matD(vecD(0.0, y.z, -y.y), vecD(-y.z, 0.0, y.x), vecD(y.y, -y.x, 0.0));
}

// A rigid body's orientation and spin (colliders, see dim2.wgsl): a quaternion o = (x, y, z, w),
// normalised here so that any non-zero one is a rotation, and an angular velocity vector w.xyz.
const ORIENT_COMPS: u32 = 4u;
const SPIN_COMPS: u32 = 3u;

fn rotation(o: vec4<f32>) -> matD {
  let q = o / max(length(o), 1e-30);
  let x = q.x; let y = q.y; let z = q.z; let w = q.w;
  return matD(
    vecD(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + z * w), 2.0 * (x * z - y * w)),
    vecD(2.0 * (x * y - z * w), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + x * w)),
    vecD(2.0 * (x * z + y * w), 2.0 * (y * z - x * w), 1.0 - 2.0 * (x * x + y * y)));
}

// dL/do given gR = dL/dR: through R(q) (the partials of each entry in q, column by column), then
// through the normalisation q = o / |o|.
fn rotation_adj(o: vec4<f32>, gR: matD) -> vec4<f32> {
  let n = max(length(o), 1e-30);
  let q = o / n;
  let x = q.x; let y = q.y; let z = q.z; let w = q.w;
  let dx = matD(vecD(0.0, 2.0 * y, 2.0 * z), vecD(2.0 * y, -4.0 * x, 2.0 * w), vecD(2.0 * z, -2.0 * w, -4.0 * x));
  let dy = matD(vecD(-4.0 * y, 2.0 * x, -2.0 * w), vecD(2.0 * x, 0.0, 2.0 * z), vecD(2.0 * w, 2.0 * z, -4.0 * y));
  let dz = matD(vecD(-4.0 * z, 2.0 * w, 2.0 * x), vecD(-2.0 * w, -4.0 * z, 2.0 * y), vecD(2.0 * x, 2.0 * y, 0.0));
  let dw = matD(vecD(0.0, 2.0 * z, -2.0 * y), vecD(-2.0 * z, 0.0, 2.0 * x), vecD(2.0 * y, -2.0 * x, 0.0));
  let gq = vec4<f32>(ddot(gR, dx), ddot(gR, dy), ddot(gR, dz), ddot(gR, dw));
  return (gq - q * dot(q, gq)) / n;
}

fn spin(w: vec4<f32>, r: vecD) -> vecD { return cross(w.xyz, r); }

struct SpinAdj { gw: vec4<f32>, gr: vecD }
fn spin_adj(w: vec4<f32>, r: vecD, g: vecD) -> SpinAdj {
  return SpinAdj(vec4<f32>(cross(r, g), 0.0), cross(g, w.xyz));
}
