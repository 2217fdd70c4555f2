// The split step adjoint's parameter sums (terms.wgsl), after the gather, in one pass: a
// workgroup per copy and term (looping when there are more than it has workgroups), lane j
// folding partial j (term_partial) into workgroup memory, then lane 0 folding the partials in
// lane order into grad (the control vector's gradient). One barrier a workgroup and no atomics:
// the same partials and the same order as the fused path's lane a term, so the same bits.
//   terms[(b n_terms + q) n + i]: vertex i's share of term q (adjoint.split.wgsl's layout)

fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

var<workgroup> partials: array<f32, TERM_LANES>;

@compute @workgroup_size(64)
fn adj_term_sums(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
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
