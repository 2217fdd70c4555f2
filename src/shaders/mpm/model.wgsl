// Model (static, shared by batch copies) and control (per batch copy, differentiable) records.
// Strides, field offsets (GROUP_MODEL_*, GROUP_CTRL_*, COLLIDER_MODEL_*, TRACK_*, PARTICLE_MODEL_*)
// and codes (MAT_*, NO_ACTUATOR) are generated from src/mpm/records.ts (composeMpm).
@group(0) @binding(2) var<storage, read> model: array<f32>;
@group(0) @binding(3) var<storage, read> ctrl: array<f32>;
// [B][N]: the scene's index of the particle at each place of a copy's state, where the simulator
// re-sorts its particles (MpmSim's sortEvery, docs/design.md "Particle order"); read only when
// SORTED (a constant of the kernel's source: unsorted kernels bind a placeholder).
@group(0) @binding(4) var<storage, read> order: array<u32>;

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
// The scene's index of the particle at place p of copy b's state: its model record (group, volume)
// and its per-particle gradients (g_particle) stay in the scene's order while the state is sorted.
fn particle_index(b: u32, p: u32) -> u32 {
  if (!SORTED) { return p; }
  return order[b * params.n_particles + p];
}
fn particle_group(b: u32, p: u32) -> u32 {
  if (params.n_groups == 1u) { return 0u; }
  return u32(model[particle_index(b, p) * PARTICLE_MODEL_STRIDE + PARTICLE_MODEL_GROUP]);
}
fn particle_vol(b: u32, p: u32) -> f32 { return model[particle_index(b, p) * PARTICLE_MODEL_STRIDE + PARTICLE_MODEL_VOL]; }

// The group records come from the params uniform where they fit there (params.group_recs): a CPU
// driver (lavapipe) loads a uniform at an address the same for all lanes once, but a storage
// buffer per lane, even at such an address; with one group (particle_group) every P2G, G2P and
// adjoint kernel then reads its group in a few scalar loads, not a dozen per-lane gathers
// (measured on the 2D 24k bench row: forward step 10% and step adjoint 9% faster; 3D: forward 5-7%).
// The ctrl part of the copy is refreshed with the ctrl record (MpmSim.writeCtrl).
fn load_group(b: u32, g: u32) -> Group {
  // a record is GROUP_STRIDE / 4 = 2 vec4s of the copy
  if (params.group_recs != 0u) {
    // one group: constant indices (g itself is a per-lane value to the compiler, even when 0)
    if (params.n_groups == 1u) { return uniform_group(0u, 2u * (1u + b)); }
    return uniform_group(2u * g, 2u * (params.n_groups + b * params.n_groups + g));
  }
  var r: Group;
  let m = params.groups_off + g * GROUP_STRIDE;
  r.material = u32(model[m + GROUP_MODEL_MATERIAL]);
  let act = model[m + GROUP_MODEL_ACTUATOR];
  r.actuator = select(NO_ACTUATOR, u32(act), act >= 0.0);
  for (var i = 0u; i < DIM; i++) { r.fiber[i] = model[m + GROUP_MODEL_FIBER + i]; }
  let c = (b * params.n_groups + g) * GROUP_STRIDE;
  r.E = ctrl[c + GROUP_CTRL_E]; r.nu = ctrl[c + GROUP_CTRL_NU];
  r.density = ctrl[c + GROUP_CTRL_DENSITY]; r.viscosity = ctrl[c + GROUP_CTRL_VISCOSITY];
  r.act_strength = ctrl[c + GROUP_CTRL_ACT_STRENGTH];
  r.theta_c = ctrl[c + GROUP_CTRL_THETA_C]; r.theta_s = ctrl[c + GROUP_CTRL_THETA_S];
  return r;
}

// Float k of a record held as two vec4s (k a constant: it folds to one component).
fn rec8(lo: vec4<f32>, hi: vec4<f32>, k: u32) -> f32 {
  if (k < 4u) { return lo[k]; }
  return hi[k - 4u];
}

// A group from the params uniform's copy: its model record at groups[m], its ctrl record at groups[c].
fn uniform_group(m: u32, c: u32) -> Group {
  var r: Group;
  let a = params.groups[m];
  let f = params.groups[m + 1u];
  r.material = u32(rec8(a, f, GROUP_MODEL_MATERIAL));
  let act = rec8(a, f, GROUP_MODEL_ACTUATOR);
  r.actuator = select(NO_ACTUATOR, u32(act), act >= 0.0);
  for (var i = 0u; i < DIM; i++) { r.fiber[i] = rec8(a, f, GROUP_MODEL_FIBER + i); }
  let c0 = params.groups[c];
  let c1 = params.groups[c + 1u];
  r.E = rec8(c0, c1, GROUP_CTRL_E); r.nu = rec8(c0, c1, GROUP_CTRL_NU);
  r.density = rec8(c0, c1, GROUP_CTRL_DENSITY); r.viscosity = rec8(c0, c1, GROUP_CTRL_VISCOSITY);
  r.act_strength = rec8(c0, c1, GROUP_CTRL_ACT_STRENGTH);
  r.theta_c = rec8(c0, c1, GROUP_CTRL_THETA_C); r.theta_s = rec8(c0, c1, GROUP_CTRL_THETA_S);
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
  r.friction = model[m + COLLIDER_MODEL_FRICTION];
  r.r = model[m + COLLIDER_MODEL_RADIUS];
  let t = track_index(b, k);
  for (var i = 0u; i < DIM; i++) {
    r.h[i] = model[m + COLLIDER_MODEL_HALF_EXTENTS + i];
    r.c[i] = ctrl[t + TRACK_POSITION + i];
    r.u[i] = ctrl[t + TRACK_VELOCITY + i];
  }
  let o = t + TRACK_ORIENTATION;
  let w = t + TRACK_ANGULAR_VELOCITY;
  r.o = vec4<f32>(ctrl[o], ctrl[o + 1u], ctrl[o + 2u], ctrl[o + 3u]);
  r.w = vec4<f32>(ctrl[w], ctrl[w + 1u], ctrl[w + 2u], ctrl[w + 3u]);
  r.R = rotation(r.o);
  return r;
}
