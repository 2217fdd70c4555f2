// 3D-only small-matrix helpers (see dim2.wgsl for why these are not generic).
alias vecD = vec3<f32>;
alias vecDi = vec3<i32>;
alias matD = mat3x3<f32>;

fn det(m: matD) -> f32 { return determinant(m); }

// Per-node grid record: see dim2.wgsl.
fn node_rec(v: vecD, m: f32) -> vec4<f32> { return vec4<f32>(v, m); }
fn node_v(r: vec4<f32>) -> vecD { return r.xyz; }
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
