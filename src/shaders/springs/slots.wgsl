// Per-entry element slots `ef`, one per adjacency entry of every copy ([B][n_adj]): a per-element
// pass writes each element corner's share into that corner's entry, and the vertex pass adds its
// entries in adjacency order: the same sums in the same order as recomputing every element per
// vertex, with no atomics. The forward's pass (elements.wgsl) writes a force, DIM words per entry;
// the step adjoint's (elements.adj.wgsl) later overwrites the same buffer, once adj_lambda has read
// those forces, with each corner's local adjoint, EA_WORDS per entry; with vertex-triangle
// contact each triangle's corner rows of its contacts' derivative follow (contact.elements.adj.wgsl).
const EA_WORDS: u32 = DIM + 2u;

/** A triangle's or hinge's force on its vertex at adjacency entry e, as the per-element pass wrote it (elements.wgsl). */
fn shell_force(b: u32, e: u32) -> vecD {
  let o = (b * p.n_adj + e) * DIM;
  var r: vecD;
  for (var c = 0u; c < DIM; c++) { r[c] = ef[o + c]; }
  return r;
}

/**
 * The step adjoint's replay flags, past the forces (one word per vertex of every copy):
 * adj_grid_count_near (adjoint.pre.wgsl) sets 1 where a free vertex's contacts acted, so its replay
 * needs its forces, and the replay's element forces skip elements with no such corner. Dead once adj_lambda has run (the local adjoints may
 * overwrite them).
 */
fn replay_flag_index(b: u32, i: u32) -> u32 { return p.batch * p.n_adj * DIM + b * p.n + i; }
fn replays(b: u32, i: u32) -> bool { return ef[replay_flag_index(b, i)] != 0.0; }
