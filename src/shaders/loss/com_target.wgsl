// Loss: squared distance between the weighted centre of mass of a range of items (a group's
// particles or vertices, weighted by mass) and a target, per batch copy:
//   L_b = |c_b - target|^2,  c_b = sum_k w_k x_k / sum_k w_k.
// Any simulator: an item's position is DIM floats at `xoff` in a record of `stride` floats.
// terms (per item and copy): writes w x (DIM components) and w, component-major, for the
//   deterministic segmented sum of src/gpu/reduce.ts, which fills sums[b][DIM + 1].
// finish (per copy): out[b] = (L_b, c_b (DIM), sum w) at a stride of 8.
// grad (per item and copy): dL/dx_k = 2 (c_b - target) w_k / sum w into g_state (x slots only;
//   the caller clears g_state first).
struct LossParams { n: u32, batch: u32, start: u32, count: u32, stride: u32, xoff: u32, pad0: u32, pad1: u32, goal: vec4<f32> }

@group(0) @binding(0) var<uniform> lp: LossParams;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;  // [B][DIM + 1][count]
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;   // [B][DIM + 1]
@group(0) @binding(5) var<storage, read_write> out: array<f32>;    // [B][8]: L, c (DIM), sum w
@group(0) @binding(6) var<storage, read_write> g_state: array<f32>;

fn item_offset(b: u32, k: u32) -> u32 {
  return (b * lp.n + lp.start + k) * lp.stride + lp.xoff;
}

@compute @workgroup_size(64)
fn terms_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let w = weights[k];
  let o = item_offset(b, k);
  let row = b * (DIM + 1u);
  for (var d = 0u; d < DIM; d++) { terms[(row + d) * lp.count + k] = w * state[o + d]; }
  terms[(row + DIM) * lp.count + k] = w;
}

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.batch) { return; }
  let row = b * (DIM + 1u);
  let wsum = sums[row + DIM];
  var L = 0.0;
  for (var d = 0u; d < DIM; d++) {
    let c = sums[row + d] / wsum;
    out[b * 8u + 1u + d] = c;
    L += (c - lp.goal[d]) * (c - lp.goal[d]);
  }
  out[b * 8u] = L;
  out[b * 8u + 4u] = wsum;
}

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= lp.count * lp.batch) { return; }
  let b = i / lp.count;
  let k = i % lp.count;
  let wsum = out[b * 8u + 4u];
  let o = item_offset(b, k);
  for (var d = 0u; d < DIM; d++) {
    g_state[o + d] = 2.0 * (out[b * 8u + 1u + d] - lp.goal[d]) * weights[k] / wsum;
  }
}
