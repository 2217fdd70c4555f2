// The vertex-triangle contact's triangle side in the forward step (3D): each triangle sums its
// corners' penalties once (contact.tri.wgsl vt_triangle_side) and writes each into its corner's
// adjacency entry in the second half of `ef`, which the step's gather adds (vt_contact).

fn contact_ef(b: u32, e: u32) -> u32 { return ((p.batch + b) * p.n_adj + e) * 3u; }
fn contact_corner_force(b: u32, e: u32) -> vec3<f32> {
  let o = contact_ef(b, e);
  return vec3<f32>(ef[o], ef[o + 1u], ef[o + 2u]);
}
/** The forward has no adjoint vectors (contact.tri.adj.wgsl has the real one). */
fn vt_pair_jvp(b: u32, pv: u32, x: vec3<f32>, t: TriRec, xs: array<vec3<f32>, 3>, region: u32) -> array<vec3<f32>, 4> {
  return array<vec3<f32>, 4>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
}

@compute @workgroup_size(64)
fn tri_contact(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_tris * p.batch) { return; }
  let b = gi / p.n_tris;
  let k = gi - b * p.n_tris;
  var skipped = 0u;
  let F = vt_triangle_side(b, k, false, &skipped);
  let o = p.tri_off + k * TRI_WORDS + 9u;
  for (var s = 0u; s < 3u; s++) {
    let q = contact_ef(b, model[o + s]);
    ef[q] = F[s].x;
    ef[q + 1u] = F[s].y;
    ef[q + 2u] = F[s].z;
  }
  if (skipped > 0u) {
    atomicAdd(&status[1], skipped);
    atomicMin(&status[2], st.t);
  }
}
