// The spring/shell Model as the kernels read it (src/springs/layout.ts writes it): one u32 buffer
// `model` with a section per element kind, the control vector `ctrl` ([B][ctrl_size]: materials,
// actuation rows, collider rows, gripper rows) and the state `s_in` ([B][n][2 DIM] x, v, then the
// hinges' rest angles [B][n_hinges] when plastic). Shared by step.wgsl and adjoint.wgsl.

const STRIDE: u32 = 2u * DIM;
const VERT_WORDS: u32 = 8u;
const SPRING_WORDS: u32 = 4u;
const TRI_WORDS: u32 = 12u;
const HINGE_WORDS: u32 = 8u;
const COL_WORDS: u32 = 8u;
const FLAG_FREE: u32 = 0u;
const FLAG_PINNED: u32 = 1u;
const FLAG_GRIPPER: u32 = 2u;
const CONTACT_ETA: f32 = 1e-6;

fn mf(k: u32) -> f32 { return bitcast<f32>(model[k]); }

fn vflag(i: u32) -> u32 { return model[p.vert_off + i * VERT_WORDS]; }
fn vinv_mass(i: u32) -> f32 { return mf(p.vert_off + i * VERT_WORDS + 1u); }
fn vadj(i: u32) -> vec2<u32> { let o = p.vert_off + i * VERT_WORDS; return vec2<u32>(model[o + 2u], model[o + 3u]); }
/** Adjacency entry e: element kind (0 spring, 1 triangle, 2 hinge), the vertex's slot in it, its index. */
struct AdjEntry { kind: u32, slot: u32, k: u32 }
fn adj_entry(e: u32) -> AdjEntry {
  let code = model[p.adj_off + e];
  return AdjEntry(code >> 30u, (code >> 28u) & 3u, code & 0x0fffffffu);
}

fn vgrip_offset(i: u32) -> vecD {
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = mf(p.vert_off + i * VERT_WORDS + 4u + a); }
  return r;
}

fn x_at(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_in[o + a]; }
  return r;
}
fn v_at(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * STRIDE + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_in[o + a]; }
  return r;
}

/** Material field f (0 stiffness, 1 damping, 2 mu, 3 lambda, 4 bending) of copy b. */
fn mat(b: u32, m: u32, f: u32) -> f32 { return ctrl[b * p.ctrl_size + m * 5u + f]; }
fn act(b: u32, ch: u32, row: u32) -> f32 { return ctrl[b * p.ctrl_size + p.act_off + row * p.n_chan + ch]; }
fn col_row(b: u32, c: u32, row: u32) -> u32 { return b * p.ctrl_size + p.col_off + (row * p.n_col + c) * COL_ROW; }
fn col_pos(b: u32, c: u32, row: u32) -> vecD {
  let o = col_row(b, c, row);
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = ctrl[o + a]; }
  return r;
}
fn col_vel(b: u32, c: u32, row: u32) -> vecD {
  let o = col_row(b, c, row) + DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = ctrl[o + a]; }
  return r;
}
/** The orientation (dimN.wgsl rotation()'s o) and angular velocity (spin()'s w) of collider c at row. */
fn col_orient(b: u32, c: u32, row: u32) -> vec4<f32> {
  let o = col_row(b, c, row) + 2u * DIM;
  var r = vec4<f32>(0.0);
  for (var a = 0u; a < ORIENT_COMPS; a++) { r[a] = ctrl[o + a]; }
  return r;
}
fn col_spin(b: u32, c: u32, row: u32) -> vec4<f32> {
  let o = col_row(b, c, row) + 2u * DIM + ORIENT_COMPS;
  var r = vec4<f32>(0.0);
  for (var a = 0u; a < SPIN_COMPS; a++) { r[a] = ctrl[o + a]; }
  return r;
}
fn grip_pos(b: u32, g: u32, row: u32) -> vecD {
  let o = b * p.ctrl_size + p.grip_off + (row * p.n_grip + g) * DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = ctrl[o + a]; }
  return r;
}

struct SpringRec { i: u32, j: u32, rest: f32, mat: u32, chan: i32 }
fn spring_rec(k: u32) -> SpringRec {
  let o = p.spring_off + k * SPRING_WORDS;
  let mc = model[o + 3u];
  return SpringRec(model[o], model[o + 1u], mf(o + 2u), mc & 0xffffu, i32(mc >> 16u) - 1);
}

/** The spring's current rest length: L0 (1 + strength a[row][chan]) when actuated. */
fn spring_rest(b: u32, s: SpringRec, row: u32) -> f32 {
  if (s.chan < 0) { return s.rest; }
  return s.rest * (1.0 + p.act_strength * act(b, u32(s.chan), row));
}

/** Collider c of copy b at a step: its shape (static) and its pose and motion (the step's row). */
struct Collider { shape: u32, mu: f32, radius: f32, h: vecD, pos: vecD, vel: vecD, o: vec4<f32>, w: vec4<f32>, rot: matD }
fn collider(b: u32, c: u32, row: u32) -> Collider {
  let o = p.col_static_off + c * COL_WORDS;
  var r: Collider;
  r.shape = model[o];
  r.mu = mf(o + 1u);
  r.radius = mf(o + 2u);
  for (var a = 0u; a < DIM; a++) {
    if (r.shape != 1u) { r.h[a] = mf(o + 4u + a); }
  }
  r.pos = col_pos(b, c, row);
  r.vel = col_vel(b, c, row);
  r.o = col_orient(b, c, row);
  r.w = col_spin(b, c, row);
  r.rot = rotation(r.o);
  return r;
}

// ---- Contact with a surface (ground plane or collider), soft or crisp -----------------------
// A point with velocity w at signed distance phi from a surface (outward normal n) moving at V.
// Relative velocity u = w - V; unchecked, the gap after the step would be phi + dt u.n. The normal
// velocity gains delta = soft(-gap) / dt. For softness kappa = 0, soft(z) = max(z, 0): the point
// lands exactly on the surface (crisp; the gradient jumps where contact starts). For kappa > 0,
// soft is max(z, 0) with its corner rounded over a penetration depth kappa (z^2 / (2 kappa) up to
// kappa, then z - kappa / 2): the push grows smoothly from zero as the point sinks in, so the
// gradient is continuous through an impact, at the price of a resting penetration of about
// sqrt(2 kappa g) dt and a landing spread over kappa. Nothing acts before contact. (Dojo relaxes
// its complementarity with an interior-point parameter for the same trade.) Coulomb friction
// removes at most mu delta of tangential speed: u' = (u.n + delta) n + max(0, 1 - mu delta / |ut|) ut,
// |ut| smoothed by CONTACT_ETA.
fn soft(z: f32, kappa: f32) -> f32 {
  if (z <= 0.0) { return 0.0; }
  if (z >= kappa) { return z - 0.5 * kappa; }
  return z * z / (2.0 * kappa);
}
fn soft_grad(z: f32, kappa: f32) -> f32 {
  if (z <= 0.0) { return 0.0; }
  if (z >= kappa) { return 1.0; }
  return z / kappa;
}

fn soft_contact(w: vecD, V: vecD, phi: f32, n: vecD, mu: f32, kappa: f32) -> vecD {
  let u = w - V;
  let un = dot(u, n);
  let delta = soft(-(phi + p.dt * un), kappa) / p.dt;
  let ut = u - un * n;
  let lt = sqrt(dot(ut, ut) + CONTACT_ETA * CONTACT_ETA);
  let s = max(0.0, 1.0 - mu * delta / lt);
  return V + (un + delta) * n + s * ut;
}

struct ContactGrad { gw: vecD, gV: vecD, gphi: f32, gn: vecD }

// Reverse mode of soft_contact given G = dL/d(output), line by line backwards.
fn soft_contact_adj(w: vecD, V: vecD, phi: f32, n: vecD, mu: f32, kappa: f32, G: vecD) -> ContactGrad {
  let u = w - V;
  let un = dot(u, n);
  let gap = phi + p.dt * un;
  let delta = soft(-gap, kappa) / p.dt;
  let ut = u - un * n;
  let lt = sqrt(dot(ut, ut) + CONTACT_ETA * CONTACT_ETA);
  let s_raw = 1.0 - mu * delta / lt;
  let s = max(0.0, s_raw);
  var g_un = dot(G, n);
  var g_delta = dot(G, n);
  var g_n = (un + delta) * G;
  var g_ut = s * G;
  if (s_raw > 0.0) {
    let g_s = dot(G, ut);
    g_delta -= mu / lt * g_s;
    g_ut += (mu * delta / (lt * lt * lt) * g_s) * ut;
  }
  g_un -= dot(g_ut, n);
  g_n -= un * g_ut;
  let g_gap = -soft_grad(-gap, kappa) * g_delta / p.dt;
  g_un += p.dt * g_gap;
  let g_u = g_ut + g_un * n;
  g_n += g_un * u;
  return ContactGrad(g_u, G - g_u, g_gap, g_n);
}

/**
 * Signed distance, world normal (and its Jacobian in world axes) of collider c at x, and the
 * velocity of its surface there, V + w x (x - pos); `body` keeps the body-frame sdf for the adjoint.
 */
struct WorldSdf { phi: f32, n: vecD, dn: matD, vs: vecD, body: Sdf }
fn collider_sdf(c: Collider, x: vecD) -> WorldSdf {
  let s = rounded_box_sdf(transpose(c.rot) * (x - c.pos), c.h, c.radius, 0.0, 0.0);
  return WorldSdf(s.phi, c.rot * s.n, c.rot * s.dn * transpose(c.rot), c.vel + spin(c.w, x - c.pos), s);
}

fn gravity() -> vecD {
  var g: vecD;
  for (var a = 0u; a < DIM; a++) { g[a] = p.gravity[a]; }
  return g;
}

fn ground_normal() -> vecD { var n: vecD; n[1] = 1.0; return n; }

/** Velocity after the ground and the colliders, in order (step.wgsl and the adjoint's replay). */
fn contacts(b: u32, x: vecD, w0: vecD, row: u32) -> vecD {
  var w = w0;
  if (p.has_ground != 0u) { w = soft_contact(w, vecD(0.0), x[1] - p.ground_h, ground_normal(), p.ground_mu, p.ground_soft); }
  for (var c = 0u; c < p.n_col; c++) {
    let col = collider(b, c, row);
    let s = collider_sdf(col, x);
    w = soft_contact(w, s.vs, s.phi, s.n, col.mu, p.col_soft);
  }
  return w;
}
