// The vertex-triangle contact's per-triangle pass of the split step adjoint (3D), after the
// per-element adjoint passes and before adj_gather: each triangle runs its side's search once
// (contact.tri.wgsl vt_triangle_side, with the pair derivative) and writes its corners' rows into
// `ef` past the local adjoints, ((b n_tris + k) 3 + slot) 3 words on; each vertex's gather adds
// its triangles' rows in adjacency order (contact.tri.adj.wgsl vt_contact_adjoint): the sums that
// recomputing each triangle per corner gives (adjoint.fused.wgsl does), a third of the searches.

fn contact_corner_index(b: u32, k: u32, s: u32) -> u32 { return p.batch * p.n_adj * EA_WORDS + ((b * p.n_tris + k) * 3u + s) * 3u; }

/** Corner `s` of triangle k's row of its contacts' derivative, as adj_tri_contact wrote it. */
fn contact_corner_adjoint(b: u32, k: u32, s: u32) -> vec3<f32> {
  let o = contact_corner_index(b, k, s);
  return vec3<f32>(ef[o], ef[o + 1u], ef[o + 2u]);
}

@compute @workgroup_size(64)
fn adj_tri_contact(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_tris * p.batch) { return; }
  let b = gi / p.n_tris;
  let k = gi - b * p.n_tris;
  // the forward counted any search left out
  var skipped = 0u;
  let F = vt_triangle_side(b, k, true, &skipped);
  for (var s = 0u; s < 3u; s++) {
    let o = contact_corner_index(b, k, s);
    ef[o] = F[s].x;
    ef[o + 1u] = F[s].y;
    ef[o + 2u] = F[s].z;
  }
}
