// grid_update: momentum to velocity, gravity, colliders, walls (per batch copy and node).
// Reads and then clears grid_acc (grid_acc.wgsl, binding 5), so it is zero again for the next p2g.
// Writes grid_v (velocity after contacts, and mass: one node record, node_rec in dim2.wgsl) in the
// tiles a particle reaches this step (tiles.wgsl): elsewhere it keeps older values, which no
// kernel reads (g2p gathers only nodes of particle stencils), and grid_acc is already zero.
// A node outside the fixed-point range marks the step as a blow-up (status[1]) and sets status[2],
// while the sums are still below 2^31 and so still exact.
@group(0) @binding(6) var<storage, read_write> grid_v: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read_write> tile_stamp: array<u32>; // tiles.wgsl (reads only)

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  if (!tile_active(wid)) { return; }
  let gn = grid_node(gid, wid);
  if (!gn.ok) { return; }
  let s = take_node(gn.i);
  if (s.over) {
    atomicMin(&status[1], step.step);
    atomicMax(&status[2], 1u);
  }
  var v = s.v;
  if (s.m > 0.0) { v = grid_contacts(gn.b, gn.node, v); }
  grid_v[gn.i] = node_rec(v, s.m);
}
