// Adjoint of grid_update (per batch copy and node).
// Reads grid_vin (velocity before contacts and mass, from the recomputed forward) and
// g_grid_acc (dL/dv_i in fixed point, scale from adj_max and the node's mass), which it clears
// for the next step.
// Writes g_grid = (dL/dmv_i, dL/dm_i) and, per collider, dL/d(position, velocity) of this node in
// g_col_node[b][k][component][node] (summed over nodes afterwards by ctrl_grad.wgsl).
//   v_i = mv_i / m_i + dt g  =>  dL/dmv = g_v / m,  dL/dm = -g_v . (v_i - dt g) / m
@group(0) @binding(4) var<storage, read> grid_vin: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> adj_max: array<u32>;
@group(0) @binding(6) var<storage, read_write> g_grid_acc: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> g_grid: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_col_node: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let gn = grid_node(gid, wid);
  if (!gn.ok) { return; }
  let i = gn.i;
  let b = gn.b;
  let ni = gn.ni;
  let node = gn.node;
  let vin = grid_vin[i];
  let m = vin.w;
  var gmv = vecD(0.0);
  var gm = 0.0;
  // Most nodes of a grid are empty: they skip the scale and, unless a particle's stencil reached
  // them with a weight too small to show in the mass sum, the atomics (a load is much cheaper than
  // an atomic exchange on a CPU driver). Such a sum is dropped: g2p read v = 0 there.
  if (m > 0.0) {
    let inv_scale = 1.0 / fp_adj_scale(adj_max[adj_slot(b, step.step)], m, params.inv_min_mass);
    var gout: vecD;
    for (var d = 0u; d < DIM; d++) { gout[d] = fp_decode(atomicExchange(&g_grid_acc[i * DIM + d], 0), inv_scale); }
    let v = node_v(vin);
    let ca = grid_contacts_adj(b, node, v, gout);
    var grav: vecD;
    for (var d = 0u; d < DIM; d++) { grav[d] = params.gravity[d]; }
    gmv = ca.gv / m;
    gm = -dot(ca.gv, v - params.dt * grav) / m;
    for (var k = 0u; k < params.n_colliders; k++) {
      let base = ((b * params.n_colliders + k) * 2u * DIM) * params.res.w + ni;
      for (var d = 0u; d < DIM; d++) {
        g_col_node[base + d * params.res.w] = ca.gc[k][d];
        g_col_node[base + (DIM + d) * params.res.w] = ca.gu[k][d];
      }
    }
  } else {
    for (var d = 0u; d < DIM; d++) {
      if (atomicLoad(&g_grid_acc[i * DIM + d]) != 0) { atomicStore(&g_grid_acc[i * DIM + d], 0); }
    }
    for (var k = 0u; k < params.n_colliders; k++) {
      let base = ((b * params.n_colliders + k) * 2u * DIM) * params.res.w + ni;
      for (var d = 0u; d < 2u * DIM; d++) { g_col_node[base + d * params.res.w] = 0.0; }
    }
  }
  g_grid[i] = node_rec(gmv, gm);
}
