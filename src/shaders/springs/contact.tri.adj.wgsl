// The vertex-triangle adjoint (3D): the derivative of one pair's four forces along the adjoint
// vectors of its vertex and corners, written out by hand per region of the closest point (pt_tri),
// and vertex i's row of the sum over its pairs: its vertex side searched here, its triangles'
// corner rows from contact_corner_adjoint (the split path's per-triangle pass wrote them,
// contact.elements.adj.wgsl; the fused path recomputes them, contact.tri.fused.wgsl).

/**
 * Vertex x[0] against triangle x[1..3] with closest point pt = pt_tri(x[0], x[1], x[2], x[3]): the
 * tangents (df_p, df_a, df_b, df_c) along l. With r = p - q, d = |r|, f_p = g r, g = kc (h - d) / d
 * and f_k = -w_k f_p: u = l_p - sum_k w_k l_k, dr = u - (dw_b ab + dw_c ac) (sum_k dw_k = 0),
 * dd = r . dr / d, dg = -kc h dd / d^2, df_k = -(dw_k f_p + w_k df_p), df_a balancing the others.
 * The weights move only on an edge or the face, where r stays normal to it (r . e = 0 on edge e
 * from corner s: dt = (u . e + r . de) / |e|^2; on the face, the Gram system of ab and ac, right
 * sides u . ab + r . dab and u . ac + r . dac).
 */
fn vt_pair_tangents(x: array<vec3<f32>, 4>, l: array<vec3<f32>, 4>, pt: PtTri, kc: f32, h: f32) -> array<vec3<f32>, 4> {
  let r = x[0] - pt.q;
  let d = length(r);
  if (d <= 0.0) { return array<vec3<f32>, 4>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0)); }
  let u = l[0] - (pt.w.x * l[1] + pt.w.y * l[2] + pt.w.z * l[3]);
  let ab = x[2] - x[1];
  let ac = x[3] - x[1];
  let dab = l[2] - l[1];
  let dac = l[3] - l[1];
  var dwb = 0.0;
  var dwc = 0.0;
  if (pt.region == REGION_AB) {
    dwb = (dot(u, ab) + dot(r, dab)) / dot(ab, ab);
  } else if (pt.region == REGION_AC) {
    dwc = (dot(u, ac) + dot(r, dac)) / dot(ac, ac);
  } else if (pt.region == REGION_BC) {
    let e = x[3] - x[2];
    dwc = (dot(u, e) + dot(r, l[3] - l[2])) / dot(e, e);
    dwb = -dwc;
  } else if (pt.region == REGION_FACE) {
    let g11 = dot(ab, ab);
    let g12 = dot(ab, ac);
    let g22 = dot(ac, ac);
    let s1 = dot(u, ab) + dot(r, dab);
    let s2 = dot(u, ac) + dot(r, dac);
    let idet = 1.0 / (g11 * g22 - g12 * g12);
    dwb = (g22 * s1 - g12 * s2) * idet;
    dwc = (g11 * s2 - g12 * s1) * idet;
  }
  let dr = u - (dwb * ab + dwc * ac);
  let g = kc * (h - d) / d;
  let fp = g * r;
  let dfp = (-kc * h * dot(r, dr) / (d * d * d)) * r + g * dr;
  let dfb = -(dwb * fp + pt.w.y * dfp);
  let dfc = -(dwc * fp + pt.w.z * dfp);
  return array<vec3<f32>, 4>(dfp, -dfp - dfb - dfc, dfb, dfc);
}

/** Pair (vertex pv at x, triangle t with corners xs, closest point pt): vt_pair_tangents along (lam_p, lam_a, lam_b, lam_c). */
fn vt_pair_jvp(b: u32, pv: u32, x: vec3<f32>, t: TriRec, xs: array<vec3<f32>, 3>, pt: PtTri) -> array<vec3<f32>, 4> {
  let l = array<vec3<f32>, 4>(contact_lam(b, pv), contact_lam(b, t.v.x), contact_lam(b, t.v.y), contact_lam(b, t.v.z));
  let j = vt_pair_tangents(array<vec3<f32>, 4>(x, xs[0], xs[1], xs[2]), l, pt, p.sc_stiff, p.sc_thick);
  return array<vec3<f32>, 4>(p.fault * j[0], p.fault * j[1], p.fault * j[2], p.fault * j[3]);
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

/** Vertex i's row of the vertex-triangle forces' derivative: as a vertex, then as its triangles' corners in adjacency order. */
fn vt_contact_adjoint(b: u32, i: u32, x: vec3<f32>) -> vec3<f32> {
  var skipped = 0u;
  var g = vt_vertex_side(b, i, x, true, &skipped);
  let range = vadj(i);
  for (var e = range.x; e < range.y; e++) {
    let a = adj_entry(e);
    if (a.kind == 1u) { g += contact_corner_adjoint(b, a.k, a.slot); }
  }
  return g;
}
