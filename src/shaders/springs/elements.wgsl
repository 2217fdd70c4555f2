// The per-element force pass of the forward step (3D): each triangle and hinge computes its
// forces once and writes each corner's into that corner's adjacency entry of `ef`; the step's
// per-vertex gather then adds its entries in the Model's order (forces.wgsl vertex_force), the same
// order and arithmetic as recomputing them per vertex, with no atomics.

fn put_ef(b: u32, e: u32, f: vec3<f32>) {
  let o = (b * p.n_adj + e) * 3u;
  ef[o] = f.x;
  ef[o + 1u] = f.y;
  ef[o + 2u] = f.z;
}

fn tri_element_forces(b: u32, k: u32) {
  let t = tri_rec(k);
  let F = tri_F(b, t);
  let H = tri_H(F, stvk_S(green(F), mat(b, t.mat, 2u), mat(b, t.mat, 3u)), t);
  let o = p.tri_off + k * TRI_WORDS + 9u;
  put_ef(b, model[o], slot_force(H, 0u));
  put_ef(b, model[o + 1u], slot_force(H, 1u));
  put_ef(b, model[o + 2u], slot_force(H, 2u));
}

fn hinge_element_forces(b: u32, k: u32) {
  let h = hinge_rec(k);
  let x = hinge_x(b, h);
  let s = hinge_scale(b, k, h, x);
  let u = hinge_u4(x);
  let o = p.hslot_off + 4u * k;
  for (var c = 0u; c < 4u; c++) { put_ef(b, model[o + c], s * u[c]); }
}

/**
 * Step t's contact record of copy b starts quiet here, in the forward's first passes (hash.wgsl
 * contact records): the contact passes and the step after them clear it where they find a pair.
 * Only a run of step t writes its record, so a checkpointed backward's recompute, which stops short
 * of a segment's last step, leaves that step's record as its forward wrote it.
 */
fn open_contact_record(b: u32) {
  if (p.self_contact != 0u) { atomicStore(&status[contact_record(st.t, b)], QUIET); }
}

@compute @workgroup_size(64)
fn tri_elements(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_tris * p.batch) { return; }
  let b = gi / p.n_tris;
  if (gi == b * p.n_tris) { open_contact_record(b); }
  tri_element_forces(b, gi - b * p.n_tris);
}

@compute @workgroup_size(64)
fn hinge_elements(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_hinges * p.batch) { return; }
  let b = gi / p.n_hinges;
  if (gi == b * p.n_hinges) { open_contact_record(b); }
  hinge_element_forces(b, gi - b * p.n_hinges);
}
