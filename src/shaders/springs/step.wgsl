// One step, per vertex of every batch copy (symplectic Euler): reads s_in (step t), writes s_out.
//   free:    v* = exp(-damping dt) (v + dt (f / m + g)), v' = contacts(x, v*), x' = x + dt v'
//   pinned:  x' = x, v' = 0
//   gripped: x' = gripper position (row t) + offset, v' = (x' - x) / dt
// status[0]: first step with a non-finite or runaway vertex; status[1]: self-contact searches left
// out (a box over MAX_SPAN cells, contact.tri.wgsl), status[2]: the first step that left one out.
const BLOW_UP: f32 = 1e7;

/** The forward has no adjoint vectors (contact.wgsl's jvp gathers run in the adjoint only). */
fn contact_lam(b: u32, i: u32) -> vecD { return vecD(0.0); }
/** The forward keeps no self-contact neighbour lists (the split adjoint does: adjoint.split.wgsl). */
fn keep_neighbour(b: u32, i: u32, q: u32, j: u32) {}
fn keep_neighbour_count(b: u32, i: u32, n: u32) {}
/** A self-contact pair found in copy b: this step is not quiet (hash.wgsl contact records). */
fn note_pairs(b: u32) { atomicStore(&status[contact_record(st.t, b)], 0u); }

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  let x = x_at(b, i);
  let v = v_at(b, i);
  let fl = vflag(i);
  var xn = x;
  var vn = vecD(0.0);
  var skipped = 0u;
  if (fl >= FLAG_GRIPPER) {
    xn = grip_pos(b, fl - FLAG_GRIPPER, st.row) + vgrip_offset(i);
    vn = (xn - x) / p.dt;
  } else if (fl == FLAG_FREE) {
    let f = vertex_force(b, i, x, v, st.row, &skipped);
    vn = contacts(b, x, p.decay * (v + p.dt * (vinv_mass(i) * f + gravity())), st.row);
    xn = x + p.dt * vn;
  }
  let o = gi * STRIDE;
  var bad = false;
  for (var a = 0u; a < DIM; a++) {
    s_out[o + a] = xn[a];
    s_out[o + DIM + a] = vn[a];
    bad = bad || non_finite(xn[a]) || non_finite(vn[a]) || abs(xn[a]) > BLOW_UP;
  }
  if (bad) { atomicMin(&status[0], st.t); }
  // counted for free vertices, the only ones whose forces are used
  if (skipped > 0u) {
    atomicAdd(&status[1], skipped);
    atomicMin(&status[2], st.t);
  }
}

