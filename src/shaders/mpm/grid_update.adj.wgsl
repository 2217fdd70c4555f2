// Adjoint of grid_update (per batch copy and node), with the update itself recomputed: it takes
// grid_acc (grid_acc.wgsl, binding 5) as p2g's replay of this step just filled it (p2g.wgsl):
// the step's mass and momentum, and dL/dv_i from g2p adjoint's scatter, each word left zero for
// the next p2g. So a step adjoint needs no separate grid update, and the grid before contacts is
// never written.
// Writes adj_node, two records per node (adj_pack, dim2.wgsl), for p2g's adjoint: dL/dmv_i, v_i
// after contacts and m_i (the values grid_update writes to grid_v), and dL/dm_i as dgm_i below.
// Per collider, dL/d(position, velocity, orientation, angular velocity) of this node goes to
// g_col_node[b][k][component][node] (COL_COMPS components, grid_contacts.wgsl; summed over nodes
// afterwards into the ctrl gradient by src/gpu/reduce.ts: MpmSim.encodeCtrlGrads).
//   v_i = mv_i / m_i + dt g  =>  dL/dmv = g_v / m,  dL/dm = -dL/dmv . (v_i - dt g)
// with v_i before contacts. p2g's adjoint meets dL/dm_i in m_p dL/dm_i + dL/dmv_i . m_p v_p, two
// terms that nearly cancel where particles move with the grid. So adj_node keeps, instead of
// dL/dm_i, dgm_i = -dL/dmv_i . (v_i - v_i'), v_i' after contacts: zero wherever no contact changed
// the velocity, and p2g's adjoint sums m_p (dL/dmv_i . (v_p - v_i' + dt g) + dgm_i), the same
// value without the cancellation. A particle whose stencil no contact touches then needs only
// dL/dmv_i and v_i' (adj_pack, dim2.wgsl).
@group(0) @binding(6) var<storage, read> adj_max: array<u32>;
@group(0) @binding(7) var<storage, read_write> adj_node: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_col_node: array<f32>;
@group(0) @binding(9) var<storage, read_write> tile_stamp: array<u32>; // tiles.wgsl (reads only)

// Collider k's gradients at node ni of copy b: position, velocity, orientation, angular velocity.
fn store_col_node(b: u32, k: u32, ni: u32, gc: vecD, gu: vecD, go: vec4<f32>, gw: vec4<f32>) {
  let w = params.res.w;
  let base = ((b * params.n_colliders + k) * COL_COMPS) * w + ni;
  for (var d = 0u; d < DIM; d++) {
    g_col_node[base + d * w] = gc[d];
    g_col_node[base + (DIM + d) * w] = gu[d];
  }
  for (var d = 0u; d < ORIENT_COMPS; d++) { g_col_node[base + (2u * DIM + d) * w] = go[d]; }
  for (var d = 0u; d < SPIN_COMPS; d++) { g_col_node[base + (2u * DIM + ORIENT_COMPS + d) * w] = gw[d]; }
}

// A node that no contact involves: its collider gradients are zero (they are summed over all nodes).
fn zero_col_node(b: u32, ni: u32) {
  for (var k = 0u; k < params.n_colliders; k++) { store_col_node(b, k, ni, vecD(0.0), vecD(0.0), vec4<f32>(0.0), vec4<f32>(0.0)); }
}

// The adjoint of grid_contacts (grid_contacts.wgsl) at node ni: v, the velocity after all contacts
// (replayed), and gv = dL/dv_in given g_out = dL/dv. Each collider's gradients go straight to
// g_col_node (zero where it does not cover the node): carried back in per-collider arrays, they
// made the grid update's adjoint slower wherever walls are touched, even with no collider.
struct ContactsAdj { v: vecD, gv: vecD }

// The reverse loop loads each collider and its geometry again rather than keeping the forward
// loop's: kept, they would be the same kind of per-collider arrays.
fn grid_contacts_adj(b: u32, node: vecDi, ni: u32, v_in: vecD, g_out: vecD) -> ContactsAdj {
  // contact_free only holds in a scene without colliders: no collider gradient to write
  if (contact_free(node)) { return ContactsAdj(v_in, g_out); }
  var vs: array<vecD, MAX_CONTACT_OPS>;
  var v = v_in;
  let xn = vecD(node) * params.dx;
  let nc = params.n_colliders;
  for (var k = 0u; k < nc; k++) {
    vs[k] = v;
    let col = load_collider(b, k);
    let a = collider_at(col, xn);
    if (covers(a)) { v = a.ub + contact(v - a.ub, a.n, col.friction); }
  }
  for (var d = 0u; d < DIM; d++) {
    vs[nc + d] = v;
    v = wall_contact(v, wall_normal(node, d), d);
  }
  var g = g_out;
  for (var d = DIM; d > 0u; d--) {
    g = wall_contact_adj(vs[nc + d - 1u], wall_normal(node, d - 1u), d - 1u, g);
  }
  // Per collider in reverse: through the contact to the relative velocity, the body velocity
  // ub = u + w x r and the world normal n = R n_l(R^T r); which nodes it covers (covers) changes
  // in jumps and carries no gradient.
  for (var k = nc; k > 0u; k--) {
    let col = load_collider(b, k - 1u);
    let a = collider_at(col, xn);
    if (covers(a)) {
      let ca = contact_adj(vs[k - 1u] - a.ub, a.n, col.friction, g);
      let gub = g - ca.gv;
      let sa = spin_adj(col.w, a.r, gub);
      let gp = transpose(a.sd.dn) * (transpose(col.R) * ca.gn); // dL/dp through n_l(p)
      // position: r = xn - c; orientation through dL/dR = gn n_l^T (n = R n_l) + r gp^T (p = R^T r)
      store_col_node(b, k - 1u, ni, -(col.R * gp + sa.gr), gub,
        rotation_adj(col.o, outer(ca.gn, a.sd.n) + outer(a.r, gp)), sa.gw);
      g = ca.gv;
    } else {
      store_col_node(b, k - 1u, ni, vecD(0.0), vecD(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    }
  }
  return ContactsAdj(v, g);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let gn = grid_node(gid, wid);
  if (!gn.ok) { return; }
  let i = gn.i;
  let b = gn.b;
  let ni = gn.ni;
  // A tile no particle reaches has nothing to take (the replay only wrote reached nodes)
  // and adj_node there is never read; only the collider gradients, summed over every node, must
  // be zero there.
  if (!tile_active(wid)) {
    zero_col_node(b, ni);
    return;
  }
  let inv_sg = 1.0 / adj_grid_scale(adj_max[adj_slot(b, step.step)]);
  let t = take_node_adj(i, inv_sg);
  let s = t.s;
  let m = s.m;
  var v = vecD(0.0);
  var gmv = vecD(0.0);
  var dgm = 0.0;
  // A node whose mass sum is zero (a stencil's weight there too small to show) had v = 0 in g2p:
  // nothing flows back through it, whatever the scatter added there.
  if (m > 0.0) {
    let ca = grid_contacts_adj(b, gn.node, ni, s.v, t.gv);
    v = ca.v;
    gmv = ca.gv / m;
    dgm = -dot(gmv, s.v - ca.v);
  } else {
    zero_col_node(b, ni);
  }
  let r = adj_pack(gmv, dgm, v, m);
  adj_node[2u * i] = r[0];
  adj_node[2u * i + 1u] = r[1];
}
