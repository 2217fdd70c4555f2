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
 * Self-contact: the vertices of copy b within the thickness of x (vertex i excluded), sorted, no repeats.
 * Cells are over twice the thickness, so along each axis the neighbours lie in x's cell and the one on
 * the side of x's nearer face: 2^dim cells.
 */
struct Neighbours { n: u32, j: array<u32, MAX_NEIGHBOURS>, overflow: u32 }
fn neighbours(b: u32, i: u32, x: vecD) -> Neighbours {
  var r: Neighbours;
  let base = b * p.grid_stride;
  let c0 = cell_of(x);
  let q = x / p.sc_cell;
  let side = select(vecDi(1), vecDi(-1), q - floor(q) < vecD(0.5));
  for (var k = 0u; k < (1u << DIM); k++) {
    var o = vecDi(0);
    for (var a = 0u; a < DIM; a++) { if (((k >> a) & 1u) != 0u) { o[a] = side[a]; } }
    let h = cell_hash(c0 + o);
    let lo = grid[base + p.hash_size + h];
    let hi = grid[base + p.hash_size + h + 1u];
    for (var e = lo; e < hi; e++) {
      let j = grid[base + 2u * p.hash_size + 1u + e];
      if (j == i) { continue; }
      let r2 = x - x_at(b, j);
      if (dot(r2, r2) >= p.sc_thick * p.sc_thick) { continue; }
      // insert j in order, once (two cells may share a hash)
      var pos = r.n;
      var dup = false;
      for (var q = 0u; q < r.n; q++) { if (r.j[q] == j) { dup = true; } }
      if (dup) { continue; }
      if (r.n == MAX_NEIGHBOURS) { r.overflow++; continue; }
      while (pos > 0u && r.j[pos - 1u] > j) { r.j[pos] = r.j[pos - 1u]; pos--; }
      r.j[pos] = j;
      r.n++;
    }
  }
  return r;
}

/** Penalty of a pair closer than the thickness h: f_i = kc (h - r) r^, r = x_i - x_j. */
fn pair_force(rv: vecD) -> vecD {
  let r = length(rv);
  if (r <= 0.0) { return vecD(0.0); }
  return (p.sc_stiff * (p.sc_thick - r) / r) * rv;
}
/** d(pair_force) along dr = lambda_i - lambda_j: kc ((h - r)/r (dr - (r^.dr) r^) - (r^.dr) r^). */
fn pair_force_jvp(rv: vecD, dr: vecD) -> vecD {
  let r = length(rv);
  if (r <= 0.0) { return vecD(0.0); }
  let rh = rv / r;
  let a = dot(rh, dr);
  return p.sc_stiff * ((p.sc_thick - r) / r * (dr - a * rh) - a * rh);
}

/**
 * The total force on vertex i of copy b at (x, v); `dropped` counts self-contact neighbours left out.
 * A triangle's or hinge's share comes from shell_force(b, e) (adjacency entry e): the forward step and the split
 * adjoint read what the per-element pass wrote for entry e (slots.wgsl), the fused adjoint recomputes it
 * (adjoint.fused.wgsl). keep_neighbours lets the split adjoint keep the self-contact neighbours for its gather.
 */
fn vertex_force(b: u32, i: u32, x: vecD, v: vecD, row: u32, dropped: ptr<function, u32>) -> vecD {
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
    let nb = neighbours(b, i, x);
    keep_neighbours(b, i, nb);
    *dropped = nb.overflow;
    for (var q = 0u; q < nb.n; q++) { f += pair_force(x - x_at(b, nb.j[q])); }
  }
  return f;
}
