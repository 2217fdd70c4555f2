// Loss: squared distance between a group's centre of mass (volume-weighted, i.e. mass-weighted
// within one group) and a target, per batch copy:  L_b = |sum_p V_p x_p / sum_p V_p - target|^2.
// value (one workgroup per batch copy, fixed-order tree: deterministic): writes out[b] = (L_b, com, sum V) at a stride of 8.
// grad (per particle): writes dL/dx_p = 2 (com - target) V_p / sum V into g_state (x slots only;
// the caller clears g_state first).
struct LossParams { n: u32, batch: u32, start: u32, count: u32, goal: vec4<f32> }

@group(0) @binding(0) var<uniform> lp: LossParams;
@group(0) @binding(1) var<storage, read> model: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;     // [B][8]: L, com (DIM), sum V
@group(0) @binding(4) var<storage, read_write> g_state: array<f32>;

const PSTRIDE: u32 = 2u * DIM + 2u * DIM * DIM;
const WG: u32 = 256u;
var<workgroup> acc: array<vec4<f32>, WG>;

@compute @workgroup_size(256)
fn value(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (b >= lp.batch) { return; }
  var s = vec4<f32>(0.0);
  for (var k = lid; k < lp.count; k += WG) {
    let p = lp.start + k;
    let vol = model[2u * p + 1u];
    let o = (b * lp.n + p) * PSTRIDE;
    for (var d = 0u; d < DIM; d++) { s[d] += vol * state[o + d]; }
    s[3] += vol;
  }
  acc[lid] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (lid < half) { acc[lid] += acc[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var L = 0.0;
    for (var d = 0u; d < DIM; d++) {
      let com = acc[0][d] / acc[0][3];
      out[b * 8u + 1u + d] = com;
      L += (com - lp.goal[d]) * (com - lp.goal[d]);
    }
    out[b * 8u] = L;
    out[b * 8u + 4u] = acc[0][3];
  }
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let p = lp.start + i % lp.count;
  let vsum = out[b * 8u + 4u];
  let vol = model[2u * p + 1u];
  let o = (b * lp.n + p) * PSTRIDE;
  for (var d = 0u; d < DIM; d++) {
    g_state[o + d] = 2.0 * (out[b * 8u + 1u + d] - lp.goal[d]) * vol / vsum;
  }
}
