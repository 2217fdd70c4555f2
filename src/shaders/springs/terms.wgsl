// The parameter terms' sum over the vertices, one order for both step adjoint paths: TERM_LANES
// partial sums, lane j folding vertices j, j + TERM_LANES, ... in order onto 0, then the partials
// folded in lane order and added to the copy's control entry. No atomic and no tree: the split
// path runs the partials in a workgroup per term and one barrier (adjoint.terms.wgsl), the fused
// path a lane per term; a workgroup tree, as the Reducer's, costs lavapipe a barrier a level.
// The including module defines `terms` and term_index (where vertex i's share of term q lies).
const TERM_LANES: u32 = 64u;

fn term_partial(b: u32, q: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var i = j; i < p.n; i += TERM_LANES) { s += terms[term_index(b, q, i)]; }
  return s;
}

/** Control entry of term q in one copy's vector at step row `row` (materials, then per-step rows). */
fn term_target(q: u32, row: u32) -> u32 {
  let act = 5u * p.n_mat;
  if (q < act) { return q; }
  if (q < p.term_col) { return p.act_off + q - act + row * p.n_chan; }
  if (q < p.term_grip) { return p.col_off + q - p.term_col + row * p.n_col * COL_ROW; }
  return p.grip_off + q - p.term_grip + row * p.n_grip * DIM;
}
