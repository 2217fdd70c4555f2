// Contacts applied to one grid node's velocity, in order: colliders (by index), then the walls
// axis by axis. The adjoint (grid_update.adj.wgsl, its one user) replays the forward, keeping the
// velocity before each contact.
const MAX_COLLIDERS: u32 = 4u;
const MAX_CONTACT_OPS: u32 = MAX_COLLIDERS + DIM;
// Per collider, the components of its per-node gradient (g_col_node, grid_update.adj.wgsl):
// position (DIM), velocity (DIM), orientation (ORIENT_COMPS), angular velocity (SPIN_COMPS).
const COL_COMPS: u32 = 2u * DIM + ORIENT_COMPS + SPIN_COMPS;

fn wall_normal(node: vecDi, d: u32) -> vecD {
  var n = vecD(0.0);
  if (node[d] < i32(params.bound)) { n[d] = 1.0; }
  else if (node[d] >= i32(params.res[d] - params.bound)) { n[d] = -1.0; }
  return n;
}

// One wall contact; n is zero when the node is not in the wall band of axis d.
fn wall_contact(v: vecD, n: vecD, d: u32) -> vecD {
  if (all(n == vecD(0.0))) { return v; }
  if (d == 1u && n[1] > 0.0 && params.ground_mu >= 0.0) { return contact(v, n, params.ground_mu); }
  if (params.wall_kind == WALL_STICKY) { return vecD(0.0); }
  if (params.wall_kind == WALL_SLIP) { return v - dot(v, n) * n; }
  return contact(v, n, 0.0);
}

fn wall_contact_adj(v: vecD, n: vecD, d: u32, g: vecD) -> vecD {
  if (all(n == vecD(0.0))) { return g; }
  if (d == 1u && n[1] > 0.0 && params.ground_mu >= 0.0) { return contact_adj(v, n, params.ground_mu, g).gv; }
  if (params.wall_kind == WALL_STICKY) { return vecD(0.0); }
  if (params.wall_kind == WALL_SLIP) { return g - dot(g, n) * n; }
  return contact_adj(v, n, 0.0, g).gv;
}

// A node in no wall band, in a scene without colliders: every contact leaves it as it is, so the
// contacts and their adjoint skip the replay (most nodes of a grid).
fn contact_free(node: vecDi) -> bool {
  if (params.n_colliders != 0u) { return false; }
  for (var d = 0u; d < DIM; d++) {
    if (node[d] < i32(params.bound) || node[d] >= i32(params.res[d] - params.bound)) { return false; }
  }
  return true;
}

// Whether every node of the stencil at base (base + {0, 1, 2}^DIM) is contact_free: the wall
// bands are checked per axis, so its two opposite corners decide.
fn stencil_contact_free(base: vecDi) -> bool {
  return contact_free(base) && contact_free(base + vecDi(2));
}

// A collider seen from node position xn: its SDF in its own frame (p = R^T r), the outward normal in
// the world (R n), and the velocity of the body at the node, u + w x r; r = xn - c.
struct ColliderAt { sd: Sdf, n: vecD, ub: vecD, r: vecD }

// A collider placed at round numbers has nodes exactly on its surface (phi = 0) or at equal
// distances from two faces, where float32 and float64 round either way: a node is covered only
// where phi < -CONTACT_TIE dx, and a face is nearer only by more than that, so the GPU and the
// float64 reference (reference/contact.ts, the same constant) take the same side, well clear of
// float32 rounding on grids of any size allowed. The surface moves in by a thousandth of a cell.
const CONTACT_TIE: f32 = 0.0009765625; // 2^-10: exact, so a face set at the threshold on a power-of-two grid is exact too

fn contact_tie() -> f32 { return CONTACT_TIE * params.dx; }

// Where the normal has a kink (a node on a box's face or a capsule's seam, q_i = 0), float32 puts
// q = |R^T (xn - c)| - h within a few roundings of the coordinates it is made of, on either side;
// float64 and central differences put it on the kink. The adjoint takes a node within this band
// of a face as on it (rounded_box_sdf), and one further off as beside it, as float64 does: 2^-20
// of |xn| + |c| (L1) is 16 roundings of either.
const KINK_ROUNDING: f32 = 9.5367431640625e-7; // 2^-20

fn kink_band(xn: vecD, c: vecD) -> f32 { return KINK_ROUNDING * (dot(abs(xn), vecD(1.0)) + dot(abs(c), vecD(1.0))); }

fn collider_at(col: Collider, xn: vecD) -> ColliderAt {
  let r = xn - col.c;
  let sd = rounded_box_sdf(transpose(col.R) * r, col.h, col.r, contact_tie(), kink_band(xn, col.c));
  return ColliderAt(sd, col.R * sd.n, col.u + spin(col.w, r), r);
}

fn covers(a: ColliderAt) -> bool { return a.sd.phi < -contact_tie(); }

fn grid_contacts(b: u32, node: vecDi, v_in: vecD) -> vecD {
  if (contact_free(node)) { return v_in; }
  var v = v_in;
  let xn = vecD(node) * params.dx;
  for (var k = 0u; k < params.n_colliders; k++) {
    let col = load_collider(b, k);
    let a = collider_at(col, xn);
    if (covers(a)) { v = a.ub + contact(v - a.ub, a.n, col.friction); }
  }
  for (var d = 0u; d < DIM; d++) { v = wall_contact(v, wall_normal(node, d), d); }
  return v;
}
