// Forces on one vertex, gathered over its adjacency (no atomics: every vertex sums its own
// elements in the Model's order), and their derivatives for the adjoint. Elastic forces are
// -dE/dx, so the adjoint's (df/dx)^T lambda equals the directional derivative of the same force
// along lambda (the Hessian is symmetric): *_jvp below. Damping is not conservative and has its
// transpose written out.

/** Spring s seen from its vertex at `slot`: d = x_other - x_self; f_self = k (l/L - 1) d^ + c (dv . d^) d^. */
struct SpringView { other: u32, d: vecD, dv: vecD, l: f32, L: f32, k: f32, c: f32, chan: i32, rest0: f32 }
fn spring_view(b: u32, k: u32, slot: u32, x: vecD, v: vecD, row: u32) -> SpringView {
  let s = spring_rec(k);
  let o = select(s.j, s.i, slot == 1u);
  let d = x_at(b, o) - x;
  return SpringView(o, d, v_at(b, o) - v, length(d), spring_rest(b, s, row), mat(b, s.mat, 0u), mat(b, s.mat, 1u), s.chan, s.rest);
}
fn spring_force(sv: SpringView) -> vecD {
  let dh = sv.d / sv.l;
  return (sv.k * (sv.l / sv.L - 1.0) + sv.c * dot(sv.dv, dh)) * dh;
}

/**
 * The total force on vertex i of copy b at (x, v); `skipped` counts self-contact searches left out
 * (contact.tri.wgsl MAX_SPAN).
 * A triangle's or hinge's share comes from shell_force(b, e) (adjacency entry e): the forward step and the split
 * adjoint read what the per-element pass wrote for entry e (slots.wgsl), the fused adjoint recomputes it
 * (adjoint.fused.wgsl). The vertex-vertex search keeps its neighbours for the split adjoint's gather (contact.wgsl
 * keep_neighbour).
 */
fn vertex_force(b: u32, i: u32, x: vecD, v: vecD, row: u32, skipped: ptr<function, u32>) -> vecD {
  var f = vecD(0.0);
  let range = vadj(i);
  // a vertex's springs come first in its adjacency (model.ts), then its triangles and hinges
  var e = range.x;
  for (; e < range.y; e++) {
    let a = adj_entry(e);
    if (a.kind != 0u) { break; }
    f += spring_force(spring_view(b, a.k, a.slot, x, v, row));
  }
  for (; e < range.y; e++) { f += shell_force(b, e); }
  if (p.self_contact != 0u) {
    f += vv_contact(b, i, x, false);
    if (p.sc_tris != 0u) { f += vt_contact(b, i, x, skipped); }
  }
  return f;
}
