// The viewer's colours, shared by the flat-disc renderer (points.wgsl) and the three.js view's
// pack kernel (pack.wgsl): one palette by group, one ramp by speed.
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
