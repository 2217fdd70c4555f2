// The step adjoint for any size: one pass per half of adjoint.wgsl (every lambda before any
// gather), lam and terms in storage buffers; the Reducer then sums each term over the vertices
// in a fixed order (SpringSim.encodeStepAdjoint).
//   lam[(b n + i) 3 DIM ..]: lam_i, the direct dL/dx and dL/dv of vertex i of copy b
//   terms[(b n_terms + q) n + i]: vertex i's share of control entry q

fn lam_base(b: u32, i: u32) -> u32 { return (b * p.n + i) * 3u * DIM; }
fn term_index(b: u32, q: u32, i: u32) -> u32 { return (b * p.n_terms + q) * p.n + i; }

@compute @workgroup_size(64)
fn adj_lambda(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  adj_lambda_vertex(b, gi - b * p.n, gi, st.row);
}

@compute @workgroup_size(64)
fn adj_gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  adj_gather_vertex(b, gi - b * p.n, gi, st.row);
}
