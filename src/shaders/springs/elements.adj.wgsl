// The per-element pass of the split step adjoint (3D), between adj_lambda and adj_gather: each
// triangle and hinge computes its local adjoint once (shell.adj.wgsl tri_element_adjoint,
// hinge_element_adjoint) and writes each corner's share into that corner's adjacency entry of
// `ef` (slots.wgsl, EA_WORDS per entry: DIM words into dL/dx, then the material terms: mu and
// lambda for a triangle, bending for a hinge, whose entry's last word stays unwritten); adj_gather
// adds them in adjacency order. The fused path runs the same functions per vertex, so both give
// the same bits.

/** Entry e's share into dL/dx and its first material term. */
fn put_ea(b: u32, e: u32, g: vec3<f32>, t0: f32) {
  let o = (b * p.n_adj + e) * EA_WORDS;
  ef[o] = g.x;
  ef[o + 1u] = g.y;
  ef[o + 2u] = g.z;
  ef[o + 3u] = t0;
}

fn adj_tri_element(b: u32, k: u32) {
  let r = tri_element_adjoint(b, k);
  let o = p.tri_off + k * TRI_WORDS + 9u;
  for (var c = 0u; c < 3u; c++) {
    let e = model[o + c];
    put_ea(b, e, r.g[c], r.tmu[c]);
    ef[(b * p.n_adj + e) * EA_WORDS + 4u] = r.tla[c];
  }
}

fn adj_hinge_element(b: u32, k: u32) {
  let r = hinge_element_adjoint(b, k);
  let o = p.hslot_off + 4u * k;
  // a hinge's entry leaves its last word unwritten: its share has one term (shell_share reads DIM words and that)
  for (var c = 0u; c < 4u; c++) { put_ea(b, model[o + c], r.g[c], r.t[c]); }
}

// Both kinds in one dispatch (one pass fewer to wait for): lanes [0, B n_tris) the triangles of
// every copy, then the hinges.
@compute @workgroup_size(64)
fn adj_shell_elements(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  let nt = p.n_tris * p.batch;
  if (gi < nt) {
    let b = gi / p.n_tris;
    adj_tri_element(b, gi - b * p.n_tris);
    return;
  }
  let gh = gi - nt;
  if (gh >= p.n_hinges * p.batch) { return; }
  let b = gh / p.n_hinges;
  adj_hinge_element(b, gh - b * p.n_hinges);
}
