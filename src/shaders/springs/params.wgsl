// The spring kernels' uniforms (src/springs/layout.ts packs them).
struct Params {
  n: u32, batch: u32, n_springs: u32, n_tris: u32,
  n_hinges: u32, n_mat: u32, n_chan: u32, n_col: u32,
  n_grip: u32, ctrl_size: u32, act_off: u32, col_off: u32,
  grip_off: u32, plastic: u32, has_ground: u32, self_contact: u32,
  vert_off: u32, spring_off: u32, tri_off: u32, hinge_off: u32,
  adj_off: u32, col_static_off: u32, n_terms: u32, tail_off: u32,
  hash_size: u32, grid_stride: u32, term_mat: u32, term_col: u32,
  dt: f32, decay: f32, act_strength: f32, col_soft: f32,
  gravity: vec4<f32>,
  ground_h: f32, ground_mu: f32, ground_soft: f32, sc_thick: f32,
  sc_stiff: f32, sc_cell: f32, term_grip: u32, hslot_off: u32,
  n_adj: u32, sc_tris: u32, excl_off: u32, anchor_off: u32,
  // scales a few adjoint terms (spring elasticity, collider normals, bending, vertex-triangle
  // contact): 1, or 1.05 for tests that must see gradcheck fail
  fault: f32, pad0: u32, pad1: u32, pad2: u32,
}
struct Step { t: u32, row: u32 }

// A collider's per-step control row: position, velocity, orientation, angular velocity (model.ts colliderRow).
const COL_ROW: u32 = 2u * DIM + ORIENT_COMPS + SPIN_COMPS;
