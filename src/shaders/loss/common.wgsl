// Shared by every per-item loss (com.wgsl, region.wgsl, match.wgsl; src/core/loss.ts runs them):
// the bindings, where an item's position lives, and the centre of mass each loss also reports.
// A loss reads `count` listed items of each batch copy; an item's position is DIM floats at `xoff`
// in a record of `stride` floats. Its terms kernel writes ROWS rows per copy, component-major
// ([B][ROWS][count]), for the deterministic segmented sum of src/gpu/reduce.ts into sums[B][ROWS]:
// rows 0..DIM-1 hold w x and row DIM holds w (w: the item's mass), the loss's own rows follow.
// out[b] (8 floats): L, c (DIM, at 1), sum w (at 4), then the loss's own numbers (5, 6, 7).
// The grad kernel adds scale dL/dx into g_state (x slots only): the caller clears g_state once and
// a weighted sum runs its terms one after another into it, so the adds keep a fixed order.
struct LossParams {
  n: u32, batch: u32, count: u32, stride: u32, xoff: u32, scale: f32, pad0: u32, pad1: u32,
  a: vec4<f32>, b: vec4<f32>, c: vec4<f32>,
}

@group(0) @binding(0) var<uniform> lp: LossParams;
@group(0) @binding(1) var<storage, read> items: array<u32>;      // [count] item indices
@group(0) @binding(2) var<storage, read> item_data: array<f32>;  // [count][4]: w, then per loss
@group(0) @binding(3) var<storage, read> copy_data: array<f32>;  // [B][4], per loss
@group(0) @binding(4) var<storage, read> state: array<f32>;
@group(0) @binding(5) var<storage, read_write> terms: array<f32>; // [B][ROWS][count]
@group(0) @binding(6) var<storage, read_write> sums: array<f32>;  // [B][ROWS]
@group(0) @binding(7) var<storage, read_write> out: array<f32>;   // [B][8]
@group(0) @binding(8) var<storage, read_write> g_state: array<f32>;

fn item_offset(b: u32, k: u32) -> u32 {
  return (b * lp.n + items[k]) * lp.stride + lp.xoff;
}

fn load_x(b: u32, k: u32) -> vecD {
  let o = item_offset(b, k);
  var x = vecD();
  for (var d = 0u; d < DIM; d++) { x[d] = state[o + d]; }
  return x;
}

fn set_term(b: u32, row: u32, k: u32, value: f32) {
  terms[(b * ROWS + row) * lp.count + k] = value;
}

fn set_com_terms(b: u32, k: u32, x: vecD) {
  let w = item_data[4u * k];
  for (var d = 0u; d < DIM; d++) { set_term(b, d, k, w * x[d]); }
  set_term(b, DIM, k, w);
}

fn sum_of(b: u32, row: u32) -> f32 {
  return sums[b * ROWS + row];
}

// Writes c and sum w into out[b] and returns c.
fn finish_com(b: u32) -> vecD {
  let wsum = sum_of(b, DIM);
  var c = vecD();
  for (var d = 0u; d < DIM; d++) {
    c[d] = sum_of(b, d) / wsum;
    out[b * 8u + 1u + d] = c[d];
  }
  out[b * 8u + 4u] = wsum;
  return c;
}

fn add_grad(b: u32, k: u32, g: vecD) {
  let o = item_offset(b, k);
  for (var d = 0u; d < DIM; d++) { g_state[o + d] += lp.scale * g[d]; }
}
