// pack.wgsl: what three.js draws, written from a simulator's state on the GPU (src/viewer/three-view.ts).
// Reads: params (uniform), state = [B][items][stride] f32 records (copy 0 is drawn; the position is
// `dim` floats at pos_offset, the velocity `dim` floats at vel_offset), attrs = [items][group, volume] f32
// (Simulator.itemAttributes).
// Writes: draw[i] = (x, y, z, radius), z = 0 in 2D; tint[i] = (rgb, 1), by group or by speed. Both are
// buffers three.js owns and binds as vertex and storage attributes, so no frame goes through the CPU.
// draw-params.wgsl (the Params struct) is prepended.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> attrs: array<f32>;
@group(0) @binding(3) var<storage, read_write> draw: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> tint: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let base = i * params.stride;
  var x = vec3<f32>(0.0);
  var v = vec3<f32>(0.0);
  for (var k = 0u; k < params.dim; k++) {
    x[k] = state[base + params.pos_offset + k];
    if (params.vel_offset != 0xffffffffu) { v[k] = state[base + params.vel_offset + k]; }
  }
  let group = u32(attrs[2u * i]);
  let spacing = pow(max(attrs[2u * i + 1u], 0.0), 1.0 / f32(params.dim));
  let r = select(params.radius_scale * spacing, params.radius_fixed, params.radius_fixed > 0.0);
  draw[i] = vec4<f32>(x, r);
  var palette = GROUP_COLORS; // a var: runtime indexing of a const array is not portable
  let t = clamp(length(v) / params.speed_max, 0.0, 1.0);
  tint[i] = vec4<f32>(select(palette[group % 6u], speed_color(t), params.color_mode == 1u), 1.0);
}
