// Particles as flat discs, read straight from the simulator's state buffer (no copy, no CPU).
// Reads: view (uniform), state = particle records [B][N][x(D), v(D), C(D²), F(D²)] f32 (copy 0 is
// drawn), model = [N][group, vol] f32 at the head of the MPM model record (src/mpm/layout.ts);
// spring and shell vertices (x, v first) are drawn with view.point_radius.
// Writes: one instanced quad (triangle strip of 4 vertices) per particle; the fragment stage cuts
// it to a disc. 3D scenes are drawn as the orthographic x-y projection.
struct View {
  scale: vec2<f32>,      // domain units -> NDC, per axis
  offset: vec2<f32>,     // NDC of the domain origin
  px: vec2<f32>,         // one canvas pixel in NDC
  stride: u32,           // floats per particle record: 2 D + 2 D²
  dim: u32,              // 2 or 3
  n: u32,                // particles drawn
  color_mode: u32,       // 0: by group, 1: by speed
  speed_max: f32,        // speed shown at the top of the ramp
  radius_scale: f32,     // disc radius as a fraction of the particle spacing vol^(1/D)
  point_radius: f32,     // every disc's radius in domain units (spring and shell vertices); 0: from the volume
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> model: array<f32>;

struct VsOut {
  @builtin(position) pos: vec4<f32>,
  @location(0) uv: vec2<f32>,
  @location(1) color: vec3<f32>,
}

const CORNERS = array<vec2<f32>, 4>(vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0), vec2<f32>(1.0, 1.0));

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) p: u32) -> VsOut {
  var out: VsOut;
  if (p >= view.n) { out.pos = vec4<f32>(2.0, 2.0, 2.0, 1.0); return out; } // outside the clip volume
  let base = p * view.stride;
  let x = vec2<f32>(state[base], state[base + 1u]);
  var v2 = 0.0;
  for (var i = 0u; i < view.dim; i++) { let vc = state[base + view.dim + i]; v2 += vc * vc; }
  let group = u32(model[2u * p]);
  let spacing = pow(model[2u * p + 1u], 1.0 / f32(view.dim));
  // a vertex's model entry is no volume (it would draw a spring robot's masses ten times too big)
  let radius = select(view.radius_scale * spacing, view.point_radius, view.point_radius > 0.0);
  let r = max(vec2<f32>(radius) * abs(view.scale), view.px);
  var corners = CORNERS; // a var: runtime indexing of a const array is not portable
  let corner = corners[vi];
  out.pos = vec4<f32>(x * view.scale + view.offset + corner * r, 0.0, 1.0);
  out.uv = corner;
  let t = clamp(sqrt(v2) / view.speed_max, 0.0, 1.0);
  var palette = GROUP_COLORS;
  out.color = select(palette[group % 6u], speed_color(t), view.color_mode == 1u);
  return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
  if (dot(in.uv, in.uv) > 1.0) { discard; }
  return vec4<f32>(in.color, 1.0);
}
