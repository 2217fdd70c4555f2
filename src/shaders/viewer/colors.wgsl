// The viewer's colours, shared by the flat-disc renderer (points.wgsl) and the three.js view's
// pack kernel (pack.wgsl): one palette by group, ramps by speed, strain and actuation.
const GROUP_COLORS = array<vec3<f32>, 6>(
  vec3<f32>(0.30, 0.60, 1.00), // blue
  vec3<f32>(1.00, 0.55, 0.20), // orange
  vec3<f32>(0.40, 0.85, 0.45), // green
  vec3<f32>(0.90, 0.35, 0.55), // pink
  vec3<f32>(0.95, 0.85, 0.30), // yellow
  vec3<f32>(0.65, 0.50, 0.95), // violet
);

// Slow blue through white to fast red.
fn speed_color(t: f32) -> vec3<f32> {
  let slow = vec3<f32>(0.20, 0.45, 0.95);
  let mid = vec3<f32>(0.92, 0.92, 0.92);
  let fast = vec3<f32>(0.95, 0.25, 0.15);
  return select(mix(mid, fast, 2.0 * t - 1.0), mix(slow, mid, 2.0 * t), t < 0.5);
}

// Unstrained dark teal through green to strained yellow-white, t in [0, 1].
fn strain_color(t: f32) -> vec3<f32> {
  let rest = vec3<f32>(0.10, 0.30, 0.40);
  let mid = vec3<f32>(0.30, 0.75, 0.35);
  let high = vec3<f32>(1.00, 0.95, 0.55);
  return select(mix(mid, high, 2.0 * t - 1.0), mix(rest, mid, 2.0 * t), t < 0.5);
}

// Activation s in [-1, 1]: negative cyan, zero grey, positive magenta.
fn actuation_color(s: f32) -> vec3<f32> {
  let neg = vec3<f32>(0.10, 0.80, 0.90);
  let zero = vec3<f32>(0.50, 0.50, 0.52);
  let pos = vec3<f32>(0.95, 0.20, 0.75);
  return select(mix(zero, neg, -s), mix(zero, pos, s), s >= 0.0);
}

// Items no actuator drives, in actuation colours.
const PASSIVE_COLOR = vec3<f32>(0.28, 0.29, 0.32);
