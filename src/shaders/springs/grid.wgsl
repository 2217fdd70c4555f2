// The self-contact grid of copy b, rebuilt from s_in every step (and again in its adjoint):
// grid[b * grid_stride + ...] = [hash_size] counts, [hash_size + 1] bucket starts, [n] vertices
// by bucket. Counts are integer atomics (order-free); the order of vertices inside a bucket is not
// fixed, so the force gather sorts the neighbours it finds (forces.wgsl `neighbours`).
// count: counts[h] += 1 per vertex; scan: starts = exclusive prefix sums (one workgroup per copy);
// scatter: slot = --counts[h], which also leaves the counts at zero for the next step.

fn grid_x(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * 2u * DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_in[o + a]; }
  return r;
}

@compute @workgroup_size(64)
fn grid_count(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let h = cell_hash(cell_of(grid_x(b, gi - b * p.n)));
  atomicAdd(&grid[b * p.grid_stride + h], 1u);
}

const SCAN_WG: u32 = 256u;
var<workgroup> sums: array<u32, SCAN_WG>;

@compute @workgroup_size(256)
fn grid_scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let base = wid.x * p.grid_stride;
  let chunk = p.hash_size / SCAN_WG;
  var s = 0u;
  for (var k = 0u; k < chunk; k++) { s += atomicLoad(&grid[base + t * chunk + k]); }
  sums[t] = s;
  workgroupBarrier();
  // Hillis-Steele inclusive scan of the chunk sums
  for (var off = 1u; off < SCAN_WG; off *= 2u) {
    var add = 0u;
    if (t >= off) { add = sums[t - off]; }
    workgroupBarrier();
    sums[t] += add;
    workgroupBarrier();
  }
  var run = sums[t] - s;
  for (var k = 0u; k < chunk; k++) {
    let h = t * chunk + k;
    atomicStore(&grid[base + p.hash_size + h], run);
    run += atomicLoad(&grid[base + h]);
  }
  if (t == SCAN_WG - 1u) { atomicStore(&grid[base + 2u * p.hash_size], run); }
}

@compute @workgroup_size(64)
fn grid_scatter(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  let base = b * p.grid_stride;
  let h = cell_hash(cell_of(grid_x(b, i)));
  let slot = atomicSub(&grid[base + h], 1u) - 1u;
  let start = atomicLoad(&grid[base + p.hash_size + h]);
  atomicStore(&grid[base + 2u * p.hash_size + 1u + start + slot], i);
}
