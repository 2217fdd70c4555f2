// sort: reorders each batch copy's particles by stencil base node (p2g's run key), stably: the
// output is ordered by (key, input index), one order whatever the driver or the batch, so runs
// stay bitwise reproducible (issue 20: p2g's few-atomics runs need particles that share a base to
// be neighbours in index order). A counting sort; integer atomics only count and hand out slots
// within a key's bucket, and `bucket` then orders each bucket by index, so no result depends on
// the order in which threads ran.
//   count:   key[b][i] = node of x_i's stencil base; counts[b][key] += 1
//   scan:    starts[b][k] = sum of counts[b][< k] (one workgroup per copy); counts back to 0
//   place:   idx[b][starts[key] + counts[key]++] = i
//   bucket:  idx[b][starts[k] .. starts[k + 1]) in increasing order (insertion sort); counts to 0
//   gather:  out[b][i] = in[b][idx[b][i]] for the record (x, v, C, F); perm = idx
//   scatter: out[b][perm[b][i]] = in[b][i], gather's inverse and adjoint (targets are distinct)
//   follow:  order_out[b][i] = order_in[b][perm[b][i]]: the scene's index of the particle now at i
//   start:   order_out[b][i] = perm[b][i] (the first sort: its input was in the scene's order)
// gather and scatter also move records by any permutation bound as perm (MpmSim's orders).
// Header (sort.ts): DIM, PSTRIDE (floats per particle record), WG, SCAN_WG.
struct SortParams { n: u32, keys: u32, inv_dx: f32, _pad: u32, res: vec4<u32> }

@group(0) @binding(0) var<uniform> sp: SortParams;
@group(0) @binding(1) var<storage, read> rec_in: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> key: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> starts: array<u32>;
@group(0) @binding(5) var<storage, read_write> perm: array<u32>;
@group(0) @binding(6) var<storage, read_write> rec_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> order_in: array<u32>;
@group(0) @binding(8) var<storage, read_write> order_out: array<u32>;

const V4: u32 = PSTRIDE / 4u;

@compute @workgroup_size(WG)
fn count(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  let x = rec_in[(b * sp.n + i) * V4]; // x is the first DIM floats of the record
  var node = 0u;
  var stride = 1u;
  for (var d = 0u; d < DIM; d++) {
    // as stencil_at (prelude.wgsl), clamped to [-1, res] (g2p clamps particles into the grid)
    let c = clamp(floor(x[d] * sp.inv_dx - 0.5), -1.0, f32(sp.res[d]));
    node += u32(c + 1.0) * stride;
    stride *= sp.res[d] + 2u;
  }
  key[b * sp.n + i] = node;
  atomicAdd(&counts[b * sp.keys + node], 1u);
}

var<workgroup> partial: array<u32, SCAN_WG>;

@compute @workgroup_size(SCAN_WG)
fn scan(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.z;
  let t = lid.x;
  let chunk = (sp.keys + SCAN_WG - 1u) / SCAN_WG;
  let lo = min(t * chunk, sp.keys);
  let hi = min(lo + chunk, sp.keys);
  var s = 0u;
  for (var k = lo; k < hi; k++) { s += atomicLoad(&counts[b * sp.keys + k]); }
  partial[t] = s;
  workgroupBarrier();
  // inclusive Hillis-Steele scan of the chunks' sums
  for (var o = 1u; o < SCAN_WG; o *= 2u) {
    var v = partial[t];
    if (t >= o) { v += partial[t - o]; }
    workgroupBarrier();
    partial[t] = v;
    workgroupBarrier();
  }
  var run = partial[t] - s;
  for (var k = lo; k < hi; k++) {
    let c = atomicLoad(&counts[b * sp.keys + k]);
    starts[b * (sp.keys + 1u) + k] = run;
    atomicStore(&counts[b * sp.keys + k], 0u);
    run += c;
  }
  if (t == SCAN_WG - 1u) { starts[b * (sp.keys + 1u) + sp.keys] = sp.n; }
}

@compute @workgroup_size(WG)
fn place(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  let k = key[b * sp.n + i];
  let slot = starts[b * (sp.keys + 1u) + k] + atomicAdd(&counts[b * sp.keys + k], 1u);
  perm[b * sp.n + slot] = i;
}

@compute @workgroup_size(WG)
fn bucket(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let b = gid.z;
  if (k >= sp.keys) { return; }
  atomicStore(&counts[b * sp.keys + k], 0u);
  let lo = b * sp.n + starts[b * (sp.keys + 1u) + k];
  let hi = b * sp.n + starts[b * (sp.keys + 1u) + k + 1u];
  // a bucket holds the few particles of one cell: insertion sort
  for (var i = lo + 1u; i < hi; i++) {
    let v = perm[i];
    var j = i;
    while (j > lo && perm[j - 1u] > v) {
      perm[j] = perm[j - 1u];
      j--;
    }
    perm[j] = v;
  }
}

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  let p = perm[b * sp.n + i];
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

@compute @workgroup_size(WG)
fn follow(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  order_out[b * sp.n + i] = order_in[b * sp.n + perm[b * sp.n + i]];
}

@compute @workgroup_size(WG)
fn start(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.z;
  if (i >= sp.n) { return; }
  order_out[b * sp.n + i] = perm[b * sp.n + i];
}
