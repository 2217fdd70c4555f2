// The split step adjoint's parameter sums (terms.wgsl), after the gather: adj_term_partials, one
// lane per copy, term and partial, writes the partials past the per-vertex terms; adj_term_sums,
// one lane per copy and term, folds them in order into grad (the control vector's gradient).
//   terms[(b n_terms + q) n + i]: vertex i's share of term q (adjoint.split.wgsl's layout)
//   terms[B n_terms n + (b n_terms + q) TERM_LANES + j]: partial j of term q

fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

@compute @workgroup_size(64)
fn adj_term_partials(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.batch * p.n_terms * TERM_LANES) { return; }
  let bq = gi / TERM_LANES;
  let b = bq / p.n_terms;
  let q = bq - b * p.n_terms;
  terms[p.batch * p.n_terms * p.n + gi] = term_partial(b, q, gi - bq * TERM_LANES);
}

@compute @workgroup_size(64)
fn adj_term_sums(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.batch * p.n_terms) { return; }
  let b = gi / p.n_terms;
  let q = gi - b * p.n_terms;
  let o = p.batch * p.n_terms * p.n + gi * TERM_LANES;
  var s = 0.0;
  for (var j = 0u; j < TERM_LANES; j++) { s += terms[o + j]; }
  let t = b * p.ctrl_size + term_target(q, st.row);
  grad[t] = grad[t] + s;
}
