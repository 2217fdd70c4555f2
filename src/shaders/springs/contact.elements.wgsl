// The vertex-triangle contact's two sides in the forward step (3D), each a pass of its own before the
// step: each triangle sums its corners' penalties once (contact.tri.wgsl vt_triangle_side) and
// writes each into its corner's adjacency entry in the second half of `ef`; each vertex its vertex
// side after those; the step's gather adds both (vt_contact).

fn contact_ef(b: u32, e: u32) -> u32 { return ((p.batch + b) * p.n_adj + e) * 3u; }
/** Vertex i's vertex side, after both halves of adjacency entries. */
fn contact_vf(b: u32, i: u32) -> u32 { return (2u * p.batch * p.n_adj + b * p.n + i) * 3u; }
fn contact_vertex_force(b: u32, i: u32, x: vec3<f32>, skipped: ptr<function, u32>) -> vec3<f32> {
  let o = contact_vf(b, i);
  return vec3<f32>(ef[o], ef[o + 1u], ef[o + 2u]);
}

@compute @workgroup_size(64)
fn vertex_contact(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  var skipped = 0u;
  var f = vec3<f32>(0.0);
  // only free vertices use their forces
  if (vflag(i) == FLAG_FREE) { f = vt_vertex_side(b, i, x_at(b, i), false, &skipped); }
  let o = contact_vf(b, i);
  ef[o] = f.x;
  ef[o + 1u] = f.y;
  ef[o + 2u] = f.z;
  if (skipped > 0u) {
    atomicAdd(&status[1], skipped);
    atomicMin(&status[2], st.t);
  }
}
fn contact_corner_force(b: u32, e: u32) -> vec3<f32> {
  let o = contact_ef(b, e);
  return vec3<f32>(ef[o], ef[o + 1u], ef[o + 2u]);
}
/** The forward has no adjoint vectors (contact.tri.adj.wgsl has the real one). */
fn vt_pair_jvp(b: u32, pv: u32, x: vec3<f32>, t: TriRec, xs: array<vec3<f32>, 3>, pt: PtTri) -> array<vec3<f32>, 4> {
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
