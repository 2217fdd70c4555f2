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

@compute @workgroup_size(64)
fn tri_elements(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_tris * p.batch) { return; }
  let b = gi / p.n_tris;
  tri_element_forces(b, gi - b * p.n_tris);
}

@compute @workgroup_size(64)
fn hinge_elements(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n_hinges * p.batch) { return; }
  let b = gi / p.n_hinges;
  hinge_element_forces(b, gi - b * p.n_hinges);
}

// The step adjoint's replay needs the forces of the vertices whose contacts acted only
// (idle.wgsl contacts_idle): adj_near flags them (slots.wgsl replay_flag_index), and where any is
// flagged it tags the step in status[REPLAY_TAG] (t + 1, every such lane storing the same value).
// The replay's element passes run on a tagged step only, and then skip elements with no flagged
// corner: in a cloth in the air a lane reads one word instead of its corners and their flags. A
// tag left by an earlier adjoint of the same step costs the flag reads, never a replay: the flags
// are this step's.
const REPLAY_TAG: u32 = 3u;
fn replay_step() -> bool { return atomicLoad(&status[REPLAY_TAG]) == st.t + 1u; }

/** Vertex i's velocity after the step: the step adjoint binds the step's output state as s_out. */
fn next_v(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_out[o + a]; }
  return r;
}

@compute @workgroup_size(64)
fn adj_near(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  let near = vflag(i) == FLAG_FREE && !contacts_idle(b, x_at(b, i), next_v(b, i), st.row);
  ef[replay_flag_index(b, i)] = select(0.0, 1.0, near);
  if (near) { atomicStore(&status[REPLAY_TAG], st.t + 1u); }
}

// Both kinds in one dispatch, as adj_shell_elements: the triangles of every copy, then the hinges,
// each lane taking every (lanes)-th element. The host dispatches a few workgroups only: on an
// untagged step (most of a cloth's fall) each returns at once, where a lane per element cost a
// workgroup launch per 64 elements to read one word.
fn replay_element(gi: u32) {
  let nt = p.n_tris * p.batch;
  if (gi < nt) {
    let b = gi / p.n_tris;
    let k = gi - b * p.n_tris;
    let v = tri_rec(k).v;
    if (replays(b, v.x) || replays(b, v.y) || replays(b, v.z)) { tri_element_forces(b, k); }
    return;
  }
  let b = (gi - nt) / p.n_hinges;
  let k = gi - nt - b * p.n_hinges;
  let v = hinge_rec(k).v;
  if (replays(b, v.x) || replays(b, v.y) || replays(b, v.z) || replays(b, v.w)) { hinge_element_forces(b, k); }
}

@compute @workgroup_size(64)
fn shell_elements_replay(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (!replay_step()) { return; }
  let all = (p.n_tris + p.n_hinges) * p.batch;
  for (var gi = gid.x; gi < all; gi += nwg.x * 64u) { replay_element(gi); }
}
