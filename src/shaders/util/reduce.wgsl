// reduce.wgsl — deterministic segmented reduction: one workgroup per segment (or per chunk).
// Reads:  src[src_offset + seg.offset ..+ seg.count] as raw 32-bit words (f32 bits).
// Writes: dst[dst_offset + wid] = REDUCE(MAP(src[...]))  (or folds into the old value: accumulate);
//         targeted segments write dst[dst_offset + seg.target + row * seg.row_step] instead, where
//         row is a word of a uniform bound with a dynamic offset (e.g. a rollout's step table), so
//         one recorded bind group serves every step.
// Order is fixed: thread t folds elements t, t+256, ... in sequence onto an identity, then a
// shared-memory tree folds the 256 partials pairwise. No float atomics, so the same input gives the same bits.
// The host prepends three constants that pick the operation (see src/gpu/reduce.ts):
//   MAP:     0 identity, 1 abs, 2 non-finite flag (1.0 if the exponent bits are all ones)
//   COMBINE: 0 add, 1 max
//   OUT_U32: false stores f32 bits; true stores u32(result), for the 0/1 flag
// src is read as u32 words so NaN and Inf bit patterns reach the flag test untouched; the test is
// on bits because `x != x` may be folded away by shader compilers.

struct Params {
  src_offset: u32,    // element index added to every segment offset
  count: u32,         // chunked mode: elements in the whole range
  chunk: u32,         // chunked mode: elements per workgroup
  dst_offset: u32,    // element index of the first output
  seg_count: u32,     // number of outputs = workgroups doing work
  use_segments: u32,  // 0: the range is cut into chunks; 1: (offset, count) pairs in segs;
                      // 2: (offset, count, target, row_step) quads in segs (targeted)
  accumulate: u32,    // 1: fold the result into the value already in dst
  row_word: u32,      // targeted: which word of `row` is the row
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> segs: array<u32>;     // pairs or quads per segment
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;
@group(0) @binding(4) var<uniform> row: vec4u;                 // dynamic offset; targeted only

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

fn load(i: u32) -> f32 {
  let bits = src[i];
  if (MAP == 2u) { return select(0.0, 1.0, (bits & 0x7f800000u) == 0x7f800000u); }
  if (MAP == 1u) { return abs(bitcast<f32>(bits)); }
  return bitcast<f32>(bits);
}

fn combine(a: f32, b: f32) -> f32 {
  if (COMBINE == 0u) { return a + b; }
  return max(a, b);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let wid = wg.x + wg.y * nwg.x;   // 2D grid when there are more than 65535 segments
  if (wid >= params.seg_count) { return; }

  var seg = vec2u(wid * params.chunk, min(params.chunk, params.count - min(params.count, wid * params.chunk)));
  var out = wid;
  if (params.use_segments == 1u) { seg = vec2u(segs[2u * wid], segs[2u * wid + 1u]); }
  if (params.use_segments == 2u) {
    seg = vec2u(segs[4u * wid], segs[4u * wid + 1u]);
    out = segs[4u * wid + 2u] + row[params.row_word] * segs[4u * wid + 3u];
  }
  let base = params.src_offset + seg.x;
  let n = seg.y;

  // Every lane starts from an identity of the fold, so the tree needs no test of which lanes hold
  // elements (a per-lane test that lavapipe pays for in every short segment): 0 for a sum, the
  // segment's first element for a max (no infinite literal in WGSL).
  var acc = 0.0;
  if (COMBINE == 1u && n > 0u) { acc = load(base); }
  for (var i = lid; i < n; i += WG) { acc = combine(acc, load(base + i)); }
  partial[lid] = acc;
  workgroupBarrier();

  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] = combine(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  if (lid != 0u) { return; }

  let o = params.dst_offset + out;
  let acc_on = params.accumulate == 1u;
  if (OUT_U32) {
    var flag = 0u;
    if (n > 0u) { flag = u32(partial[0]); }
    if (acc_on) { flag = max(flag, dst[o]); }
    dst[o] = flag;
    return;
  }
  if (n == 0u) {
    // Empty: the sum is 0 and the max is -inf (bits, since WGSL has no infinite literal); with
    // accumulate the old value stands.
    if (!acc_on) { dst[o] = select(0u, 0xff800000u, COMBINE == 1u && MAP == 0u); }
    return;
  }
  var r = partial[0];
  if (acc_on) { r = combine(bitcast<f32>(dst[o]), r); }
  dst[o] = bitcast<u32>(r);
}
