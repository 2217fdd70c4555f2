// The step adjoint for any size: one pass per half of adjoint.wgsl (every lambda before any
// gather), lam and terms in storage buffers; adjoint.terms.wgsl then sums each term over the
// vertices in a fixed order (SpringSim.adjointDispatches). In 3D the replaying vertices' element
// forces are recomputed first (adjoint.pre.wgsl; adj_lambda's replay reads them, slots.wgsl), and the per-element adjoint passes
// between the halves (elements.adj.wgsl), so each triangle and hinge is computed once per pass.
//   lam[(b n + i) 3 DIM ..]: lam_i, the direct dL/dx and dL/dv of vertex i of copy b (as bits);
//     then, with self-contact, lam[B n 3 DIM + (b n + i) NB_WORDS ..]: how many vertex-vertex
//     neighbours adj_lambda's replay found for vertex i, then the first KEPT_NEIGHBOURS of them in
//     the order the search added them, which the gather reads instead of searching again
//   terms[(b n_terms + q) n + i]: vertex i's share of control entry q

fn lam_base(b: u32, i: u32) -> u32 { return (b * p.n + i) * 3u * DIM; }
// lam is u32 words: the neighbour list's indices stay integers, and the floats pass as their bits.
// An index bit-cast to f32 is a subnormal, which a driver that flushes them may turn into zero.
fn lam_word(k: u32) -> f32 { return bitcast<f32>(lam[k]); }
fn set_lam_word(k: u32, v: f32) { lam[k] = bitcast<u32>(v); }
fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

// KEPT_NEIGHBOURS (the host prepends it: SpringSim) is the list's capacity, not a cap on the
// contacts: a vertex with more neighbours keeps its count only, and its gather searches the grid
// as the replay did (vv_contact: the same pairs in the same order, so the same bits either way).
const NB_WORDS: u32 = 1u + KEPT_NEIGHBOURS;
fn nb_base(b: u32, i: u32) -> u32 { return p.n * p.batch * 3u * DIM + (b * p.n + i) * NB_WORDS; }
fn keep_neighbour(b: u32, i: u32, q: u32, j: u32) {
  if (q < KEPT_NEIGHBOURS) { lam[nb_base(b, i) + 1u + q] = j; }
}
fn keep_neighbour_count(b: u32, i: u32, n: u32) { lam[nb_base(b, i)] = n; }
/** Only the forward keeps contact records (step.wgsl). */
fn note_pairs(b: u32) {}
fn vv_contact_adjoint(b: u32, i: u32, x: vecD) -> vecD {
  let o = nb_base(b, i);
  let n = lam[o];
  if (n > KEPT_NEIGHBOURS) { return vv_contact(b, i, x, true); }
  let li = lam_at(b, i);
  var f = vecD(0.0);
  for (var q = 0u; q < n; q++) { f += vv_pair_jvp(b, x, li, lam[o + 1u + q]); }
  return f;
}

/**
 * Vertex i's velocity after the step, for contacts_idle: adj_lambda binds the step's output state
 * where the gather binds g_in (adj_lambda writes none), keeping the pass within 9 storage buffers.
 */
fn next_v(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = g_in[o + a]; }
  return r;
}

/** Whether free vertex i skips its replay: with shells adj_grid_count_near has judged it already (its flag), else judged here. */
fn vertex_idle(b: u32, i: u32, row: u32) -> bool {
  if (p.n_tris + p.n_hinges > 0u) { return !replays(b, i); }
  return contacts_idle(b, x_at(b, i), next_v(b, i), row);
}

/** Entry e's share of its vertex's gather, as the per-element adjoint pass wrote it (elements.adj.wgsl). */
fn shell_share(b: u32, e: u32, a: AdjEntry) -> ShellShare {
  let o = (b * p.n_adj + e) * EA_WORDS;
  var g: vecD;
  for (var c = 0u; c < DIM; c++) { g[c] = ef[o + c]; }
  if (a.kind == 1u) {
    return ShellShare(g, model[p.tri_off + a.k * TRI_WORDS + 3u], vec3<f32>(ef[o + DIM], ef[o + DIM + 1u], 0.0));
  }
  return ShellShare(g, model[p.hinge_off + a.k * HINGE_WORDS + 4u], vec3<f32>(0.0, 0.0, ef[o + DIM]));
}

@compute @workgroup_size(64)
fn adj_lambda(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  let replayed = adj_lambda_vertex(b, i, gi, st.row);
  // a replay kept the vertex's neighbours (vertex_force); the gather needs every vertex's
  if (p.self_contact != 0u && !replayed) { _ = vv_contact(b, i, x_at(b, i), false); }
}

@compute @workgroup_size(64)
fn adj_gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  adj_gather_vertex(b, gi - b * p.n, gi, st.row);
}
