// Self-contact forces and the grid they search (grid.wgsl builds it; shared by the step and its
// adjoint). Every pair closer than the thickness h repels with the penalty energy
// kc (h - r)^2 / 2, r the pair's distance: vertex-vertex here, vertex-triangle in contact.tri.wgsl.
// A gather visits cells in a fixed order and each cell's vertices by index (grid_sort), counting a
// vertex only from its own cell (two cells of one search may share a hash bucket), so its sum has
// one order whatever order the atomics gave the buckets, and no neighbour cap.

/** The entries grid[x .. y) of cell c's bucket in copy b (vertex indices, ascending). */
fn grid_bucket(b: u32, c: vecDi) -> vec2<u32> {
  let base = b * p.grid_stride;
  let h = cell_hash(c);
  let v0 = base + 2u * p.hash_size + 1u;
  return vec2<u32>(v0 + grid[base + p.hash_size + h], v0 + grid[base + p.hash_size + h + 1u]);
}
fn in_cell(x: vecD, c: vecDi) -> bool { return all(cell_of(x) == c); }
/** Copy b's grid was left unbuilt: its step is quiet (hash.wgsl contact records), no search finds a pair. */
fn grid_quiet(b: u32) -> bool { return grid[quiet_word(b)] != 0u; }

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

/** d(pair_force) of vertex i at x from neighbour j, along lam_i - lam_j (li: lam_i). */
fn vv_pair_jvp(b: u32, x: vecD, li: vecD, j: u32) -> vecD { return pair_force_jvp(x - x_at(b, j), li - contact_lam(b, j)); }

/**
 * Vertex-vertex: the penalties on vertex i of copy b (at x) from the vertices within h, or with
 * `jvp` their derivative along the adjoint vectors (contact_lam). Cells are over twice the
 * thickness, so along each axis the neighbours lie in x's cell and the one on the side of x's
 * nearer face: 2^dim cells. Without `jvp` it hands each neighbour, in the order it adds them, and
 * then their count to keep_neighbour and keep_neighbour_count (no-ops but in the split adjoint's
 * replay, whose gather adds the same pairs in the same order from the kept list: adjoint.split.wgsl).
 */
fn vv_contact(b: u32, i: u32, x: vecD, jvp: bool) -> vecD {
  var f = vecD(0.0);
  if (grid_quiet(b)) {
    if (!jvp) { keep_neighbour_count(b, i, 0u); }
    return f;
  }
  let c0 = cell_of(x);
  let q = x / p.sc_cell;
  let side = select(vecDi(1), vecDi(-1), q - floor(q) < vecD(0.5));
  var li = vecD(0.0);
  if (jvp) { li = contact_lam(b, i); }
  var n = 0u;
  for (var k = 0u; k < (1u << DIM); k++) {
    var c = c0;
    for (var a = 0u; a < DIM; a++) { if (((k >> a) & 1u) != 0u) { c[a] += side[a]; } }
    let r = grid_bucket(b, c);
    for (var e = r.x; e < r.y; e++) {
      let j = grid[e];
      if (j == i) { continue; }
      let xj = x_at(b, j);
      if (!in_cell(xj, c)) { continue; }
      let rv = x - xj;
      if (dot(rv, rv) >= p.sc_thick * p.sc_thick) { continue; }
      if (jvp) {
        f += vv_pair_jvp(b, x, li, j);
      } else {
        f += pair_force(rv);
        keep_neighbour(b, i, n, j);
      }
      n++;
    }
  }
  if (!jvp) {
    keep_neighbour_count(b, i, n);
    if (n > 0u) { note_pairs(b); }
  }
  return f;
}
