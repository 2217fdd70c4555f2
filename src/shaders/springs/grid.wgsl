// The self-contact grid of copy b, rebuilt from s_in every step (and again in its adjoint):
// grid[b * grid_stride + ...] = [hash_size] counts, [hash_size + 1] bucket starts, [n] vertices
// by bucket, [1] the triangles' reach (3D vertex-triangle contact: the longest edge from a
// triangle's anchor corner, model.ts contactLists; f32 bits), [n] each vertex's reach over the
// triangles anchored at it, [triangles][lo, hi] each triangle's bounding box (f32 bits), [1] the
// quiet word (below). Counts are integer atomics (order-free).
// count: counts[h] += 1 per vertex; scan: starts = exclusive prefix sums (one workgroup per copy);
// scatter: slot = --counts[h], which also leaves the counts at zero for the next step; the order
// the atomics gave a bucket is not fixed, so sort: each bucket by vertex index (one lane per
// bucket), and every gather then visits a cell's vertices in one order (contact.wgsl);
// reach: each vertex's own and its triangles' boxes, and atomicMax of those over the copy (a max is
// order-free; non-negative floats order as their bits).
// A quiet step's adjoint leaves its copy's grid unbuilt (hash.wgsl contact records): its count pass
// sets the copy's quiet word and the passes after it return; grid_count, which the forward and the
// other adjoints run, clears it.
fn quiet_grid(b: u32) -> bool { return atomicLoad(&grid[quiet_word(b)]) != 0u; }

fn grid_x(b: u32, i: u32) -> vecD {
  let o = (b * p.n + i) * 2u * DIM;
  var r: vecD;
  for (var a = 0u; a < DIM; a++) { r[a] = s_in[o + a]; }
  return r;
}

// A blown-up vertex (NaN, infinite, or past the step's runaway bound) stays out of the grid: such
// positions all land in one cell, and every step's search and bucket sort would turn quadratic
// over them, so a rollout that has already failed would take minutes a step before it reports.
fn gridded(x: vecD) -> bool {
  for (var a = 0u; a < DIM; a++) {
    if ((bitcast<u32>(x[a]) & 0x7f800000u) == 0x7f800000u || abs(x[a]) > 1e7) { return false; }
  }
  return true;
}

/** Vertex gi (of every copy's) into its bucket's count. */
fn grid_count_vertex(gi: u32) {
  let b = gi / p.n;
  let x = grid_x(b, gi - b * p.n);
  if (!gridded(x)) { return; }
  atomicAdd(&grid[b * p.grid_stride + cell_hash(cell_of(x))], 1u);
}

@compute @workgroup_size(64)
fn grid_count(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.n * p.batch) { return; }
  if (gid.x % p.n == 0u) { atomicStore(&grid[quiet_word(gid.x / p.n)], 0u); }
  grid_count_vertex(gid.x);
}

const SCAN_WG: u32 = 256u;
var<workgroup> sums: array<u32, SCAN_WG>;
var<workgroup> scan_quiet: u32;

@compute @workgroup_size(256)
fn grid_scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  // the workgroup's barriers need one verdict for all its lanes
  if (t == 0u) { scan_quiet = select(0u, 1u, quiet_grid(wid.x)); }
  if (workgroupUniformLoad(&scan_quiet) != 0u) { return; }
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
  if (t == 0u) { atomicStore(&grid[base + 2u * p.hash_size + 1u + p.n], 0u); }
}

@compute @workgroup_size(64)
fn grid_scatter(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let i = gi - b * p.n;
  if (quiet_grid(b)) { return; }
  let base = b * p.grid_stride;
  let x = grid_x(b, i);
  if (!gridded(x)) { return; }
  let h = cell_hash(cell_of(x));
  let slot = atomicSub(&grid[base + h], 1u) - 1u;
  let start = atomicLoad(&grid[base + p.hash_size + h]);
  atomicStore(&grid[base + 2u * p.hash_size + 1u + start + slot], i);
}

/** Bucket gi (of every copy's) sorted by vertex index. */
fn grid_sort_bucket(gi: u32) {
  let b = gi / p.hash_size;
  let h = gi - b * p.hash_size;
  if (quiet_grid(b)) { return; }
  let base = b * p.grid_stride;
  let v0 = base + 2u * p.hash_size + 1u;
  let lo = v0 + atomicLoad(&grid[base + p.hash_size + h]);
  let hi = v0 + atomicLoad(&grid[base + p.hash_size + h + 1u]);
  // insertion sort: a bucket holds about n / hash_size <= 1/2 vertices, a crowded one a few dozen
  for (var e = lo + 1u; e < hi; e++) {
    let j = atomicLoad(&grid[e]);
    var q = e;
    while (q > lo && atomicLoad(&grid[q - 1u]) > j) {
      atomicStore(&grid[q], atomicLoad(&grid[q - 1u]));
      q--;
    }
    atomicStore(&grid[q], j);
  }
}

@compute @workgroup_size(64)
fn grid_sort(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.hash_size * p.batch) { return; }
  grid_sort_bucket(gid.x);
}

const TRI_WORDS_G: u32 = 12u; // model.wgsl TRI_WORDS (the grid module does not include model.wgsl)

@compute @workgroup_size(64)
fn grid_reach(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= p.n * p.batch) { return; }
  let b = gi / p.n;
  let j = gi - b * p.n;
  if (quiet_grid(b)) { return; }
  let xj = grid_x(b, j);
  var r = 0.0;
  for (var e = model[p.anchor_off + j]; e < model[p.anchor_off + j + 1u]; e++) {
    let k = model[e];
    let o = p.tri_off + k * TRI_WORDS_G;
    let xs = array<vecD, 3>(grid_x(b, model[o]), grid_x(b, model[o + 1u]), grid_x(b, model[o + 2u]));
    for (var c = 0u; c < 3u; c++) { r = max(r, length(xs[c] - xj)); }
    let bo = b * p.grid_stride + 2u * p.hash_size + 2u + 2u * p.n + k * 2u * DIM;
    let lo = min(min(xs[0], xs[1]), xs[2]);
    let hi = max(max(xs[0], xs[1]), xs[2]);
    for (var a = 0u; a < DIM; a++) {
      atomicStore(&grid[bo + a], bitcast<u32>(lo[a]));
      atomicStore(&grid[bo + DIM + a], bitcast<u32>(hi[a]));
    }
  }
  atomicStore(&grid[b * p.grid_stride + 2u * p.hash_size + 2u + p.n + j], bitcast<u32>(r));
  // a NaN or infinite reach is the step's blow-up check's business; the search caps its span (contact.tri.wgsl)
  if (r > 0.0 && r < 3.0e38) { atomicMax(&grid[b * p.grid_stride + 2u * p.hash_size + 1u + p.n], bitcast<u32>(r)); }
}
