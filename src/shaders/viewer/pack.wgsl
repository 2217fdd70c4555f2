// pack.wgsl: what three.js draws, written from a simulator's state on the GPU (src/viewer/three-view.ts).
// Reads: params (uniform), state = [B][items][stride] f32 records (copy 0 is drawn; the position is
// `dim` floats at pos_offset, the velocity `dim` floats at vel_offset, F dim x dim at f_offset),
// attrs = [items][group, volume] f32 (Simulator.itemAttributes), act = the simulator's control record
// (actuation row act_row at act_offset), aux = [n + 1] CSR offsets, then each item's actuation
// channels, then per-group flags at flags_offset.
// Writes: draw[i] = (x, y, z, radius), z = 0 in 2D; tint[i] = (rgb, 1): by group, by speed, by strain
// (|E|_F / strain_max, E = (F^T F - I) / 2 the Green strain; a fluid's record holds F - I; a
// mass-spring vertex the mean |l / L - 1| of its springs, a shell vertex the mean in-plane |E|_F of
// its triangles, F = Ds Dm^-1 with Dm^-1 from the rest shape: draw-source.ts strainMap), or by
// actuation (the mean activation of the item's channels / act_max). Both are buffers three.js owns
// and binds as vertex and storage attributes, so no frame goes through the CPU.
// draw-params.wgsl (the Params struct) and colors.wgsl are prepended.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> attrs: array<f32>;
@group(0) @binding(3) var<storage, read> act: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<u32>;
@group(0) @binding(5) var<storage, read_write> draw: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> tint: array<vec4<f32>>;

const NONE: u32 = 0xffffffffu;

// |E|_F of the Green strain E = (F^T F - I) / 2.
fn green_strain(base: u32, fluid: bool) -> f32 {
  let d = params.dim;
  var F = mat3x3<f32>();
  for (var r = 0u; r < d; r++) {
    for (var c = 0u; c < d; c++) {
      F[c][r] = state[base + params.f_offset + r * d + c] + select(0.0, 1.0, fluid && r == c);
    }
  }
  if (d == 2u) { F[2][2] = 1.0; }
  let E = 0.5 * (transpose(F) * F - mat3x3<f32>(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0));
  return sqrt(dot(E[0], E[0]) + dot(E[1], E[1]) + dot(E[2], E[2]));
}

fn position(i: u32) -> vec3<f32> {
  var x = vec3<f32>(0.0);
  for (var k = 0u; k < params.dim; k++) { x[k] = state[i * params.stride + params.pos_offset + k]; }
  return x;
}

// Mean strain of vertex i's springs (kind 1: entries (j, L)) or triangles (kind 2: (a, b, c, Dm^-1)).
fn element_strain(i: u32) -> f32 {
  let o = params.strain_offset;
  let k0 = aux[o + i];
  let k1 = aux[o + i + 1u];
  if (k1 == k0) { return 0.0; }
  let xi = position(i);
  var s = 0.0;
  for (var k = k0; k < k1; k++) {
    if (params.strain_kind == 1u) {
      let e = o + params.n + 1u + 2u * k;
      s += abs(length(position(aux[e]) - xi) / bitcast<f32>(aux[e + 1u]) - 1.0);
    } else {
      let e = o + params.n + 1u + 7u * k;
      let a = position(aux[e]);
      let d1 = position(aux[e + 1u]) - a;
      let d2 = position(aux[e + 2u]) - a;
      let m = mat2x2<f32>(bitcast<f32>(aux[e + 3u]), bitcast<f32>(aux[e + 5u]), bitcast<f32>(aux[e + 4u]), bitcast<f32>(aux[e + 6u]));
      // F = Ds m (3 x 2): its columns
      let f0 = d1 * m[0][0] + d2 * m[0][1];
      let f1 = d1 * m[1][0] + d2 * m[1][1];
      let e00 = 0.5 * (dot(f0, f0) - 1.0);
      let e11 = 0.5 * (dot(f1, f1) - 1.0);
      let e01 = 0.5 * dot(f0, f1);
      s += sqrt(e00 * e00 + 2.0 * e01 * e01 + e11 * e11);
    }
  }
  return s / f32(k1 - k0);
}

// The mean activation of item i's channels, scaled to [-1, 1]; 2.0: none drives it.
fn activation(i: u32) -> f32 {
  let k0 = aux[i];
  let k1 = aux[i + 1u];
  if (k1 == k0 || params.act_channels == 0u) { return 2.0; }
  var s = 0.0;
  for (var k = k0; k < k1; k++) {
    s += act[params.act_offset + params.act_row * params.act_channels + aux[params.n + 1u + k]];
  }
  return clamp(s / (f32(k1 - k0) * params.act_max), -1.0, 1.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let base = i * params.stride;
  var x = vec3<f32>(0.0);
  var v = vec3<f32>(0.0);
  for (var k = 0u; k < params.dim; k++) {
    x[k] = state[base + params.pos_offset + k];
    if (params.vel_offset != NONE) { v[k] = state[base + params.vel_offset + k]; }
  }
  let group = u32(attrs[2u * i]);
  let spacing = pow(max(attrs[2u * i + 1u], 0.0), 1.0 / f32(params.dim));
  let r = select(params.radius_scale * spacing, params.radius_fixed, params.radius_fixed > 0.0);
  draw[i] = vec4<f32>(x, r);
  var palette = GROUP_COLORS; // a var: runtime indexing of a const array is not portable
  var c = palette[group % 6u];
  let mode = params.color_mode;
  if (mode == 1u) {
    c = speed_color(clamp(length(v) / params.speed_max, 0.0, 1.0));
  } else if (mode == 2u && params.strain_kind != 0u) {
    c = strain_color(clamp(element_strain(i) / params.strain_max, 0.0, 1.0));
  } else if (mode == 2u && params.f_offset != NONE) {
    let fluid = aux[params.flags_offset + group] == 1u;
    c = strain_color(clamp(green_strain(base, fluid) / params.strain_max, 0.0, 1.0));
  } else if (mode == 3u) {
    let s = activation(i);
    c = select(actuation_color(s), PASSIVE_COLOR, s > 1.5);
  }
  tint[i] = vec4<f32>(c, 1.0);
}
