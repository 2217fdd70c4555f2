// The fused step adjoint's vertex-triangle corner rows (a few dozen vertices, no per-triangle
// pass): each corner recomputes its triangle's search, the function the split path's pass runs
// (contact.elements.adj.wgsl), so both paths give the same bits.

fn contact_corner_adjoint(b: u32, k: u32, s: u32) -> vec3<f32> {
  var skipped = 0u;
  return vt_triangle_side(b, k, true, &skipped)[s];
}
