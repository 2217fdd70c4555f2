// The step adjoint for any size: one pass per half of adjoint.wgsl (every lambda before any
// gather), lam and terms in storage buffers; the Reducer then sums each term over the vertices
// in a fixed order (SpringSim.encodeStepAdjoint). In 3D the forward's per-element passes run first
// (the replay in adj_lambda reads their forces, slots.wgsl), and the per-element adjoint passes
// between the halves (elements.adj.wgsl), so each triangle and hinge is computed once per pass.
//   lam[(b n + i) 3 DIM ..]: lam_i, the direct dL/dx and dL/dv of vertex i of copy b; then, with
//     self-contact, lam[B n 3 DIM + (b n + i) NB_WORDS ..]: the neighbours adj_lambda found for
//     vertex i (count, indices as bits), which the gather uses instead of searching again
//   terms[(b n_terms + q) n + i]: vertex i's share of control entry q

fn lam_base(b: u32, i: u32) -> u32 { return (b * p.n + i) * 3u * DIM; }
fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

const NB_WORDS: u32 = 1u + MAX_NEIGHBOURS;
fn nb_base(b: u32, i: u32) -> u32 { return p.n * p.batch * 3u * DIM + (b * p.n + i) * NB_WORDS; }
fn keep_neighbours(b: u32, i: u32, nb: Neighbours) {
  let o = nb_base(b, i);
  lam[o] = bitcast<f32>(nb.n);
  for (var q = 0u; q < nb.n; q++) { lam[o + 1u + q] = bitcast<f32>(nb.j[q]); }
}
fn gather_neighbours(b: u32, i: u32, x: vecD) -> Neighbours {
  let o = nb_base(b, i);
  var r: Neighbours;
  r.n = bitcast<u32>(lam[o]);
  for (var q = 0u; q < r.n; q++) { r.j[q] = bitcast<u32>(lam[o + 1u + q]); }
  return r;
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
  adj_lambda_vertex(b, i, gi, st.row);
  // a free vertex kept its neighbours in its replay (vertex_force); the gather needs every vertex's
  if (p.self_contact != 0u && vflag(i) != FLAG_FREE) { keep_neighbours(b, i, neighbours(b, i, x_at(b, i))); }
}

@compute @workgroup_size(64)
fn adj_gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  adj_gather_vertex(b, gi - b * p.n, gi, st.row);
}
