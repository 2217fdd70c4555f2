// grid_update: momentum to velocity, gravity, colliders, walls (per batch copy and node).
// Reads and then clears grid_acc (so it is zero again for the next p2g).
// Writes grid_vin (velocity before contacts, and mass: what the adjoint needs) and grid_v
// (velocity after contacts, and mass), one node record each (node_rec in dim2.wgsl).
// A node outside the fixed-point range marks the step as a blow-up (status[1]) and sets status[2],
// while the sums are still below 2^31 and so still exact.
@group(0) @binding(4) var<storage, read_write> grid_acc: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read_write> grid_vin: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> grid_v: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>>;

// Reads an accumulator and leaves it zero. Most nodes of a grid are empty: a load is much cheaper
// than an atomic exchange on a CPU driver, so only a non-zero word is exchanged.
fn take_acc(k: u32) -> i32 {
  if (atomicLoad(&grid_acc[k]) == 0) { return 0; }
  return atomicExchange(&grid_acc[k], 0);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let gn = grid_node(gid, wid);
  if (!gn.ok) { return; }
  let i = gn.i;
  let b = gn.b;
  let node = gn.node;
  let q = i * ACC_STRIDE;
  var mv: vecD;
  var over = false;
  for (var d = 0u; d < DIM; d++) {
    let hi = take_acc(q + d);
    let lo = take_acc(q + DIM + 1u + d);
    mv[d] = fp_join(hi, lo, params.inv_fp_p);
    over = over || abs(mv[d]) > params.p_bound;
  }
  let m = fp_decode(take_acc(q + DIM), params.inv_fp_m);
  if (over || m < 0.0 || m > params.m_bound) {
    atomicMin(&status[1], step.step);
    atomicMax(&status[2], 1u);
  }
  var v = vecD(0.0);
  if (m > 0.0) {
    var grav: vecD;
    for (var d = 0u; d < DIM; d++) { grav[d] = params.gravity[d]; }
    v = mv / m + params.dt * grav;
  }
  grid_vin[i] = node_rec(v, m);
  if (m > 0.0) { v = grid_contacts(b, node, v); }
  grid_v[i] = node_rec(v, m);
}
