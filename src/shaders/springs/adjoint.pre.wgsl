// What the split step adjoint (3D, with triangles or hinges) needs before adj_lambda, in the grid
// rebuild's passes (grid.wgsl), so that the flags and the replay cost no passes of their own:
// adj_grid_count_near: per vertex, its replay flag, then (with self-contact) its bucket count.
// adj_grid_sort_replay: the buckets' sort (with self-contact), then in a few more workgroups the
//   replay's element forces (elements.wgsl tri_element_forces, hinge_element_forces).
// The replay needs the forces of the vertices whose contacts acted only (idle.wgsl
// contacts_idle): the flags mark them (slots.wgsl replay_flag_index), and where any is flagged
// its lane tags the step in status[REPLAY_TAG] (t + 1, every such lane storing the same value).
// The replay runs on a tagged step only, and then skips elements with no flagged corner. A tag
// left by an earlier adjoint of the same step costs the flag reads, never a replay: the flags are
// this step's. The flags are two passes old when the replay reads them; nothing between writes ef.
const REPLAY_TAG: u32 = 3u;
fn replay_step() -> bool { return atomicLoad(&status[REPLAY_TAG]) == st.t + 1u; }

/** Vertex i's velocity after the step: the step adjoint binds the step's output state as s_out. */
fn next_v(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_out[o + a]; }
  return r;
}

fn near_vertex(gi: u32) {
  let b = gi / p.n;
  let i = gi - b * p.n;
  let near = vflag(i) == FLAG_FREE && !contacts_idle(b, x_at(b, i), next_v(b, i), st.row);
  ef[replay_flag_index(b, i)] = select(0.0, 1.0, near);
  if (near) { atomicStore(&status[REPLAY_TAG], st.t + 1u); }
}

/** Element gi of the triangles of every copy, then the hinges: its forces where a corner replays. */
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

// A copy whose forward found no self-contact pair at this step (hash.wgsl contact records) builds
// no grid: vertex 0's lane sets the copy's quiet word, and the grid passes after this one and
// every search return at once. replaySkip 'never' (the tests' reference) builds and searches always.
@compute @workgroup_size(64)
fn adj_grid_count_near(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.n * p.batch) { return; }
  near_vertex(gid.x);
  if (p.self_contact == 0u) { return; }
  let b = gid.x / p.n;
  let quiet = REPLAY_SKIP != 0u && atomicLoad(&status[contact_record(st.t, b)]) == QUIET;
  if (gid.x % p.n == 0u) { atomicStore(&grid[quiet_word(b)], select(0u, 1u, quiet)); }
  if (!quiet) { grid_count_vertex(gid.x); }
}

// The first ceil(B hash_size / 64) workgroups sort (none without self-contact), the rest replay,
// each lane taking every (lanes)-th element: on an untagged step (most of a falling cloth's) they
// return at once, where a lane per element cost a workgroup launch per 64 elements to read one word.
@compute @workgroup_size(64)
fn adj_grid_sort_replay(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>) {
  let buckets = select(0u, p.hash_size * p.batch, p.self_contact != 0u);
  let sort_groups = (buckets + 63u) / 64u;
  if (wg.x < sort_groups) {
    if (gid.x < buckets) { grid_sort_bucket(gid.x); }
    return;
  }
  if (!replay_step()) { return; }
  let all = (p.n_tris + p.n_hinges) * p.batch;
  for (var e = gid.x - sort_groups * 64u; e < all; e += (nwg.x - sort_groups) * 64u) { replay_element(e); }
}
