// 2D-only small-matrix helpers. Everything generic over DIM lives in prelude.wgsl; only what
// cannot be written as a loop over DIM (determinant, cofactor, right-handed basis completion) is here.
alias vecD = vec2<f32>;
alias vecDi = vec2<i32>;
alias matD = mat2x2<f32>;

fn det(m: matD) -> f32 { return determinant(m); }

// Per-node grid record (grid_v, grid_vin, g_grid): one vec4, a vector in the first DIM components
// and a scalar (mass, or its gradient) in w. One vec4 access per node (see particleAccessors).
fn node_rec(v: vecD, m: f32) -> vec4<f32> { return vec4<f32>(v, 0.0, m); }
fn node_v(r: vec4<f32>) -> vecD { return r.xy; }

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
