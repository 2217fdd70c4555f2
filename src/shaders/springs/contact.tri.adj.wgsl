// The vertex-triangle adjoint (3D): the derivative of one pair's four forces along the adjoint
// vectors of its vertex and corners, in forward-mode dual numbers through the closest point's
// formula in the pair's region (pt_tri: the same expressions, so the same q where the region holds).

fn ds_add(a: Ds, b: Ds) -> Ds { return Ds(a.v + b.v, a.d + b.d); }
fn ds_sub(a: Ds, b: Ds) -> Ds { return Ds(a.v - b.v, a.d - b.d); }

/**
 * Pair (vertex pv at x, triangle t with corners xs) in region `region`: the tangents of
 * (f_p, f_a, f_b, f_c) along (lam_p, lam_a, lam_b, lam_c).
 */
fn vt_pair_jvp(b: u32, pv: u32, x: vec3<f32>, t: TriRec, xs: array<vec3<f32>, 3>, region: u32) -> array<vec3<f32>, 4> {
  let P = Dv(x, contact_lam(b, pv));
  let A = Dv(xs[0], contact_lam(b, t.v.x));
  let B = Dv(xs[1], contact_lam(b, t.v.y));
  let C = Dv(xs[2], contact_lam(b, t.v.z));
  let ab = dv_sub(B, A);
  let ac = dv_sub(C, A);
  let ap = dv_sub(P, A);
  let bp = dv_sub(P, B);
  let cp = dv_sub(P, C);
  let zero = Ds(0.0, 0.0);
  let one = Ds(1.0, 0.0);
  // weights of b and c (a's is 1 - wb - wc)
  var wb = zero;
  var wc = zero;
  if (region == REGION_B) {
    wb = one;
  } else if (region == REGION_C) {
    wc = one;
  } else if (region == REGION_AB) {
    let d1 = dv_dot(ab, ap);
    wb = ds_div(d1, ds_sub(d1, dv_dot(ab, bp)));
  } else if (region == REGION_AC) {
    let d2 = dv_dot(ac, ap);
    wc = ds_div(d2, ds_sub(d2, dv_dot(ac, cp)));
  } else if (region == REGION_BC) {
    let u = ds_sub(dv_dot(ac, bp), dv_dot(ab, bp));
    let w = ds_div(u, ds_add(u, ds_sub(dv_dot(ab, cp), dv_dot(ac, cp))));
    wb = ds_sub(one, w);
    wc = w;
  } else if (region == REGION_FACE) {
    let d1 = dv_dot(ab, ap);
    let d2 = dv_dot(ac, ap);
    let d3 = dv_dot(ab, bp);
    let d4 = dv_dot(ac, bp);
    let d5 = dv_dot(ab, cp);
    let d6 = dv_dot(ac, cp);
    let va = ds_sub(ds_mul(d3, d6), ds_mul(d5, d4));
    let vb = ds_sub(ds_mul(d5, d2), ds_mul(d1, d6));
    let vc = ds_sub(ds_mul(d1, d4), ds_mul(d3, d2));
    let den = ds_add(ds_add(va, vb), vc);
    wb = ds_div(vb, den);
    wc = ds_div(vc, den);
  }
  let q = dv_add(A, dv_add(dv_scale(ab, wb), dv_scale(ac, wc)));
  let r = dv_sub(P, q);
  let d = ds_sqrt(dv_dot(r, r));
  if (d.v <= 0.0) { return array<vec3<f32>, 4>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0)); }
  // g = kc (h - d) / d
  let g = ds_div(Ds(p.sc_stiff * (p.sc_thick - d.v), -p.sc_stiff * d.d), d);
  let fp = dv_scale(r, g);
  let fb = dv_scale(fp, Ds(-wb.v, -wb.d));
  let fc = dv_scale(fp, Ds(-wc.v, -wc.d));
  return array<vec3<f32>, 4>(FAULT * fp.d, FAULT * (-fp.d - fb.d - fc.d), FAULT * fb.d, FAULT * fc.d);
}

/** Vertex i's vertex side, recomputed (the forward's vertex_contact pass stored it). */
fn contact_vertex_force(b: u32, i: u32, x: vec3<f32>, skipped: ptr<function, u32>) -> vec3<f32> {
  return vt_vertex_side(b, i, x, false, skipped);
}

/** A triangle corner's contact force at adjacency entry e, recomputed from x (the forward read it from ef). */
fn contact_corner_force(b: u32, e: u32) -> vec3<f32> {
  let a = adj_entry(e);
  var skipped = 0u;
  return vt_triangle_side(b, a.k, false, &skipped)[a.slot];
}

/** Vertex i's row of the vertex-triangle forces' derivative: as a vertex, then as its triangles' corners. */
fn vt_contact_adjoint(b: u32, i: u32, x: vec3<f32>) -> vec3<f32> {
  var skipped = 0u;
  var g = vt_vertex_side(b, i, x, true, &skipped);
  let range = vadj(i);
  for (var e = range.x; e < range.y; e++) {
    let a = adj_entry(e);
    if (a.kind == 1u) { g += vt_triangle_side(b, a.k, true, &skipped)[a.slot]; }
  }
  return g;
}
