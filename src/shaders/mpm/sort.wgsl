// sort: reorders each batch copy's particles by stencil base node (p2g's run key), stably, on the
// GPU, with no atomics: a bitonic network over (key, index) pairs, whose keys are distinct, so one
// order comes out whatever the driver or the batch (issue 20: p2g's few-atomics runs need
// particles that share a base to be neighbours in index order).
//   keys:    pairs[b][i] = (node of x_i's stencil base, i), padded to N2 = 2^k with (max, max)
//   bitonic: one compare-exchange stage (k, j) of the network over pairs[b]
//   gather:  out[b][i] = in[b][perm_i] for the record (x, v, C, F); perm[b][i] = perm_i
//   scatter: out[b][perm_i] = in[b][i], gather's inverse and adjoint (targets are distinct)
// Header (sort.ts): DIM, PSTRIDE (floats per particle record), WG.
struct SortParams { n: u32, n2: u32, inv_dx: f32, _pad: u32, res: vec4<u32> }
struct Stage { k: u32, j: u32 }

@group(0) @binding(0) var<uniform> sp: SortParams;
@group(0) @binding(1) var<uniform> stage: Stage;
@group(0) @binding(2) var<storage, read> rec_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> pairs: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> perm: array<u32>;
@group(0) @binding(5) var<storage, read_write> rec_out: array<vec4<f32>>;

const V4: u32 = PSTRIDE / 4u;

@compute @workgroup_size(WG)
fn keys(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n2) { return; }
  var key = vec2<u32>(0xffffffffu, 0xffffffffu);
  if (i < sp.n) {
    let x = rec_in[(b * sp.n + i) * V4]; // x is the first DIM floats of the record
    var node = 0u;
    var stride = 1u;
    for (var d = 0u; d < DIM; d++) {
      // as stencil_at (prelude.wgsl); clamped, as a particle outside the grid is clamped by g2p
      let c = clamp(floor(x[d] * sp.inv_dx - 0.5), -1.0, f32(sp.res[d]));
      node += u32(c + 1.0) * stride;
      stride *= sp.res[d] + 2u;
    }
    key = vec2<u32>(node, i);
  }
  pairs[b * sp.n2 + i] = key;
}

fn less(a: vec2<u32>, c: vec2<u32>) -> bool { return a.x < c.x || (a.x == c.x && a.y < c.y); }

@compute @workgroup_size(WG)
fn bitonic(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let l = i ^ stage.j;
  if (i >= sp.n2 || l <= i) { return; }
  let o = gid.z * sp.n2;
  let a = pairs[o + i];
  let c = pairs[o + l];
  let up = (i & stage.k) == 0u;
  if (less(c, a) == up) {
    pairs[o + i] = c;
    pairs[o + l] = a;
  }
}

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  let p = pairs[b * sp.n2 + i].y;
  perm[b * sp.n + i] = p;
  for (var w = 0u; w < V4; w++) { rec_out[(b * sp.n + i) * V4 + w] = rec_in[(b * sp.n + p) * V4 + w]; }
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  let p = perm[b * sp.n + i];
  for (var w = 0u; w < V4; w++) { rec_out[(b * sp.n + p) * V4 + w] = rec_in[(b * sp.n + i) * V4 + w]; }
}
