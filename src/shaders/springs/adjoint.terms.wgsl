// The split step adjoint's parameter sums (terms.wgsl), after the gather, in one pass, two ways
// with the same partials in the same order (so the same bits as each other and the fused path):
// adj_term_sums: a lane per copy and term folds its TERM_LANES partials in turn (SpringSim picks it
//   for a few thousand vertices, where one pass of 18 lanes beats spreading the partials);
// adj_term_sums_grouped: a workgroup per copy and term (looping when there are more than it has
//   workgroups), lane j folding partial j into workgroup memory, then lane 0 the partials in lane
//   order. One barrier a workgroup; no atomics either way.
//   terms[(b n_terms + q) n + i]: vertex i's share of term q (adjoint.split.wgsl's layout)

fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

var<workgroup> partials: array<f32, TERM_LANES>;

@compute @workgroup_size(64)
fn adj_term_sums_grouped(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) j: u32) {
  for (var bq = wg.x; bq < p.batch * p.n_terms; bq += nwg.x) {
    let b = bq / p.n_terms;
    let q = bq - b * p.n_terms;
    partials[j] = term_partial(b, q, j);
    workgroupBarrier();
    if (j == 0u) {
      var s = 0.0;
      for (var k = 0u; k < TERM_LANES; k++) { s += partials[k]; }
      let t = b * p.ctrl_size + term_target(q, st.row);
      grad[t] = grad[t] + s;
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(64)
fn adj_term_sums(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.batch * p.n_terms) { return; }
  let b = gi / p.n_terms;
  let q = gi - b * p.n_terms;
  var s = 0.0;
  for (var j = 0u; j < TERM_LANES; j++) { s += term_partial(b, q, j); }
  let t = b * p.ctrl_size + term_target(q, st.row);
  grad[t] = grad[t] + s;
}
