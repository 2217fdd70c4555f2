// Model (static, shared by batch copies) and control (per batch copy, differentiable) records.
// Offsets and strides mirrored by src/mpm/layout.ts.
@group(0) @binding(2) var<storage, read> model: array<f32>;
@group(0) @binding(3) var<storage, read> ctrl: array<f32>;

const MAT_FLUID: u32 = 0u;
const MAT_ELASTIC: u32 = 1u;
const MAT_PLASTIC: u32 = 2u;
const NO_ACTUATOR: u32 = 0xffffffffu;
const GROUP_STRIDE: u32 = 8u;     // model: material, actuator, fiber xyz | ctrl: see Group
const COLLIDER_STRIDE: u32 = 8u;  // model: friction, radius, half extents xyz
const TRACK_STRIDE: u32 = 16u;    // ctrl per collider per step: position xyz_, velocity xyz_,
                                  // orientation (2D angle, 3D quaternion xyzw), angular velocity

struct Group {
  material: u32,
  actuator: u32,
  fiber: vecD,
  E: f32,
  nu: f32,
  density: f32,
  viscosity: f32,
  act_strength: f32,
  theta_c: f32,
  theta_s: f32,
}

// Integer codes are stored as float values (exact below 2^24), not as bit patterns: a driver may
// flush the subnormals or canonicalise the NaNs that small integers and 0xffffffff would be as f32.
// With one group the index is a constant, so load_group's loads are the same for every lane.
fn particle_group(p: u32) -> u32 {
  if (params.n_groups == 1u) { return 0u; }
  return u32(model[2u * p]);
}
fn particle_vol(p: u32) -> f32 { return model[2u * p + 1u]; }

// The group records come from the params uniform where they fit there (params.group_recs): a CPU
// driver (lavapipe) loads a uniform at an address the same for all lanes once, but a storage
// buffer per lane, even at such an address; with one group (particle_group) every P2G, G2P and
// adjoint kernel then reads its group in a few scalar loads, not a dozen per-lane gathers
// (measured on the 2D 24k bench row: forward step 10% and step adjoint 9% faster; 3D: forward 5-7%).
// The ctrl part of the copy is refreshed with the ctrl record (MpmSim.writeCtrl).
fn load_group(b: u32, g: u32) -> Group {
  if (params.group_recs != 0u) {
    // one group: constant indices (g itself is a per-lane value to the compiler, even when 0)
    if (params.n_groups == 1u) { return uniform_group(0u, 2u * (1u + b)); }
    return uniform_group(2u * g, 2u * (params.n_groups + b * params.n_groups + g));
  }
  var r: Group;
  let m = params.groups_off + g * GROUP_STRIDE;
  r.material = u32(model[m]);
  r.actuator = select(NO_ACTUATOR, u32(model[m + 1u]), model[m + 1u] >= 0.0);
  for (var i = 0u; i < DIM; i++) { r.fiber[i] = model[m + 2u + i]; }
  let c = (b * params.n_groups + g) * GROUP_STRIDE;
  r.E = ctrl[c]; r.nu = ctrl[c + 1u]; r.density = ctrl[c + 2u]; r.viscosity = ctrl[c + 3u];
  r.act_strength = ctrl[c + 4u]; r.theta_c = ctrl[c + 5u]; r.theta_s = ctrl[c + 6u];
  return r;
}

// A group from the params uniform's copy: its model record at groups[m], its ctrl record at groups[c].
fn uniform_group(m: u32, c: u32) -> Group {
  var r: Group;
  let a = params.groups[m];
  let f = params.groups[m + 1u];
  r.material = u32(a.x);
  r.actuator = select(NO_ACTUATOR, u32(a.y), a.y >= 0.0);
  for (var i = 0u; i < DIM; i++) { r.fiber[i] = f[i]; }
  let c0 = params.groups[c];
  let c1 = params.groups[c + 1u];
  r.E = c0.x; r.nu = c0.y; r.density = c0.z; r.viscosity = c0.w;
  r.act_strength = c1.x; r.theta_c = c1.y; r.theta_s = c1.z;
  return r;
}

fn act_value(b: u32, ch: u32) -> f32 {
  return ctrl[params.act_off + (b * params.horizon + step.ctrl_step) * params.n_act + ch];
}

// This step's actuation of a group (0 for a group without an actuator).
fn group_actuation(b: u32, g: Group) -> f32 {
  if (g.actuator == NO_ACTUATOR) { return 0.0; }
  return act_value(b, g.actuator);
}

// p2g adds the stress impulse to the affine momentum as tau * this (MLS-MPM: D^-1 = 4 / dx^2).
fn stress_impulse_scale(vol: f32) -> f32 {
  return -params.dt * vol * 4.0 * params.inv_dx * params.inv_dx;
}

// Kinematic collider: a rounded box (half extents h, radius r) in its own frame. Box: r = 0;
// sphere: h = 0; capsule: h non-zero on one axis. Position c, velocity u, orientation o and
// angular velocity w come from the per-step track (o and w as rotation() and spin() read them,
// dim2.wgsl); R = rotation(o) maps the collider's frame to the world.
struct Collider { friction: f32, r: f32, h: vecD, c: vecD, u: vecD, o: vec4<f32>, w: vec4<f32>, R: matD }

fn track_index(b: u32, k: u32) -> u32 {
  return params.col_off + ((b * params.horizon + step.ctrl_step) * params.n_colliders + k) * TRACK_STRIDE;
}

fn load_collider(b: u32, k: u32) -> Collider {
  var r: Collider;
  let m = params.colliders_off + k * COLLIDER_STRIDE;
  r.friction = model[m];
  r.r = model[m + 1u];
  let t = track_index(b, k);
  for (var i = 0u; i < DIM; i++) {
    r.h[i] = model[m + 2u + i];
    r.c[i] = ctrl[t + i];
    r.u[i] = ctrl[t + 4u + i];
  }
  r.o = vec4<f32>(ctrl[t + 8u], ctrl[t + 9u], ctrl[t + 10u], ctrl[t + 11u]);
  r.w = vec4<f32>(ctrl[t + 12u], ctrl[t + 13u], ctrl[t + 14u], ctrl[t + 15u]);
  r.R = rotation(r.o);
  return r;
}
