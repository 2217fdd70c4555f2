// Generic small-matrix and B-spline helpers, written once for 2D and 3D.
// Prepended after the dimension header (dim2.wgsl / dim3.wgsl), which defines
// DIM, STENCIL (= 3^DIM), vecD, vecDi and matD.

fn ident() -> matD {
  var m: matD;
  for (var i = 0u; i < DIM; i++) { m[i][i] = 1.0; }
  return m;
}

// a ⊗ b: column j is a * b[j].
fn outer(a: vecD, b: vecD) -> matD {
  var m: matD;
  for (var j = 0u; j < DIM; j++) { m[j] = a * b[j]; }
  return m;
}

fn trace(m: matD) -> f32 {
  var t = 0.0;
  for (var i = 0u; i < DIM; i++) { t += m[i][i]; }
  return t;
}

// Frobenius inner product A : B.
fn ddot(a: matD, b: matD) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < DIM; j++) { s += dot(a[j], b[j]); }
  return s;
}

// True for NaN or ±Inf. Tested on the bit pattern: WGSL lets compilers assume x == x.
fn non_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// ---- Quadratic B-spline stencil (MLS-MPM, Hu et al. 2018) -------------------------------
// base = floor(x/dx - 0.5); fx = x/dx - base in [0.5, 1.5); weights per axis for nodes base+0,1,2.
struct Stencil {
  base: vecDi,
  fx: vecD,
  w: array<vecD, 3>,
  dw: array<vecD, 3>, // d w / d fx
}

fn stencil_at(x: vecD, inv_dx: f32) -> Stencil {
  var s: Stencil;
  let xg = x * inv_dx;
  let b = floor(xg - vecD(0.5));
  s.base = vecDi(b);
  s.fx = xg - b;
  let fx = s.fx;
  s.w[0] = 0.5 * (vecD(1.5) - fx) * (vecD(1.5) - fx);
  s.w[1] = vecD(0.75) - (fx - vecD(1.0)) * (fx - vecD(1.0));
  s.w[2] = 0.5 * (fx - vecD(0.5)) * (fx - vecD(0.5));
  s.dw[0] = fx - vecD(1.5);
  s.dw[1] = -2.0 * (fx - vecD(1.0));
  s.dw[2] = fx - vecD(0.5);
  return s;
}

// Offset of stencil node k (0 <= k < STENCIL): digit i of k in base 3 is the offset on axis i.
fn stencil_offset(k: u32) -> vecDi {
  var o: vecDi;
  var r = k;
  for (var i = 0u; i < DIM; i++) { o[i] = i32(r % 3u); r = r / 3u; }
  return o;
}

// The per-axis weights (or derivatives) a of node o: a[o_i][i] on each axis i. Picked with select,
// not by indexing the array with o: a dynamically indexed array lives in memory, which a CPU driver
// (lavapipe) turns into per-lane scratch loads and stores in every stencil loop.
fn stencil_axes(a: array<vecD, 3>, o: vecDi) -> vecD {
  var r: vecD;
  for (var i = 0u; i < DIM; i++) { r[i] = select(select(a[2][i], a[1][i], o[i] == 1), a[0][i], o[i] == 0); }
  return r;
}

fn stencil_weight(s: Stencil, o: vecDi) -> f32 {
  let wa = stencil_axes(s.w, o);
  var w = 1.0;
  for (var i = 0u; i < DIM; i++) { w *= wa[i]; }
  return w;
}

// The weight of node o and its gradient in x (world units): dw_j = inv_dx * w'_j prod_{k != j} w_k.
struct NodeWeight { w: f32, dw: vecD }

fn stencil_node(s: Stencil, o: vecDi, inv_dx: f32) -> NodeWeight {
  let wa = stencil_axes(s.w, o);
  let da = stencil_axes(s.dw, o);
  var r: NodeWeight;
  r.w = 1.0;
  for (var j = 0u; j < DIM; j++) {
    r.w *= wa[j];
    var p = inv_dx * da[j];
    for (var i = 0u; i < DIM; i++) { if (i != j) { p *= wa[i]; } }
    r.dw[j] = p;
  }
  return r;
}

// ---- Signed SVD by one-sided (Hestenes) Jacobi ------------------------------------------
// F = U diag(s) V^T with det U = det V = +1; the smallest singular value carries the sign of
// det F. A sweep that finds every pair of columns closer to orthogonal than 2e-7 (under two
// float32 epsilons, about the rounding of their dot product) still makes its rotations, and ends
// the loop: further sweeps would only turn the columns by rounding noise. Most F in a rollout
// converge in two or three of the SVD_SWEEPS, so stopping early saves most of them. Every pair
// not orthogonal to 1e-9 is rotated: skipping the pairs under 2e-7 as well left R = U V^T that far
// from orthogonal, and the elastic stress 2 mu (F - R) F^T, a small difference at small strain,
// with it (docs/performance.md). The result is a
// deterministic function of F.
struct Svd { U: matD, s: vecD, V: matD }

fn svd(F: matD) -> Svd {
  var A = F;
  var V = ident();
  for (var sweep = 0u; sweep < SVD_SWEEPS; sweep++) {
    var converged = true;
    for (var p = 0u; p + 1u < DIM; p++) {
      for (var q = p + 1u; q < DIM; q++) {
        let al = dot(A[p], A[p]);
        let be = dot(A[q], A[q]);
        let ga = dot(A[p], A[q]);
        let sab = sqrt(al * be);
        converged = converged && abs(ga) <= 2e-7 * sab;
        if (abs(ga) > 1e-30 && abs(ga) > 1e-9 * sab) {
          let zeta = (be - al) / (2.0 * ga);
          let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
          let c = inverseSqrt(1.0 + t * t);
          let sn = c * t;
          let ap = A[p]; let aq = A[q];
          A[p] = c * ap - sn * aq; A[q] = sn * ap + c * aq;
          let vp = V[p]; let vq = V[q];
          V[p] = c * vp - sn * vq; V[q] = sn * vp + c * vq;
        }
      }
    }
    if (converged) { break; }
  }
  var r: Svd;
  r.V = V;
  var k = 0u;
  var smin = 0.0;
  for (var i = 0u; i < DIM; i++) {
    r.s[i] = length(A[i]);
    r.U[i] = A[i] / max(r.s[i], 1e-30);
    if (i == 0u || r.s[i] < smin) { k = i; smin = r.s[i]; }
  }
  // column k by constant indices (i unrolled), selected per lane: an index that differs between
  // lanes would put the matrix in memory on a CPU driver
  let U = r.U;
  for (var i = 0u; i < DIM; i++) {
    let u = complete_basis(U, i);
    let si = dot(A[i], u);
    if (i == k) { r.U[i] = u; r.s[i] = si; }
  }
  return r;
}

// Whether every singular value of F lies inside [lh.x, lh.y] by a relative margin of 1e-5, far above
// the float32 SVD's error, so that svd(F) finds none outside either: from Gershgorin's discs of
// F^T F, whose eigenvalues are the squared singular values, and det F > 0, without which svd(F)
// makes the smallest one negative (signed singular values). A few products where the SVD takes
// square roots and divisions; the plastic projection's adjoint skips its SVD where this holds.
fn clamp_free(F: matD, lh: vec2<f32>) -> bool {
  let M = transpose(F) * F;
  let lo = lh.x * (1.0 + 1e-5);
  let hi = lh.y * (1.0 - 1e-5);
  var inside = det(F) > 0.0;
  for (var i = 0u; i < DIM; i++) {
    var r = 0.0;
    for (var j = 0u; j < DIM; j++) { if (j != i) { r += abs(M[j][i]); } }
    inside = inside && M[i][i] - r > lo * lo && M[i][i] + r < hi * hi;
  }
  return inside;
}

fn svd_compose(d: Svd, s: vecD) -> matD {
  var S: matD;
  for (var i = 0u; i < DIM; i++) { S[i][i] = s[i]; }
  return d.U * S * transpose(d.V);
}

// Adjoint of an isotropic spectral map F = U diag(s) V^T -> U diag(h(s)) V^T with h applied per
// singular value: given G = dL/d(output), returns dL/dF. In the U,V frame, with M = U^T G V:
// X_ii = h'(s_i) M_ii; X_ij = a_ij sym(M)_ij + b_ij skew(M)_ij, a = (h_i-h_j)/(s_i-s_j),
// b = (h_i+h_j)/(s_i+s_j). Denominators are guarded (the PlasticineLab-style clamps).
fn spectral_adj(d: Svd, h: vecD, dh: vecD, G: matD) -> matD {
  let M = transpose(d.U) * G * d.V;
  var X: matD;
  for (var j = 0u; j < DIM; j++) {
    for (var i = 0u; i < DIM; i++) {
      if (i == j) { X[j][i] = dh[i] * M[j][i]; continue; }
      let ds = d.s[i] - d.s[j];
      var a = 0.5 * (dh[i] + dh[j]);
      if (abs(ds) > 1e-6) { a = (h[i] - h[j]) / ds; }
      let b = (h[i] + h[j]) / max(d.s[i] + d.s[j], 1e-6);
      X[j][i] = 0.5 * a * (M[j][i] + M[i][j]) + 0.5 * b * (M[j][i] - M[i][j]);
    }
  }
  return d.U * X * transpose(d.V);
}
