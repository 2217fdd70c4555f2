// Vertex-triangle self-contact (3D): a vertex p closer than the thickness h to a triangle it is not
// near in the mesh (model.ts contactExclusions) is pushed off the triangle's closest point q =
// wa xa + wb xb + wc xc, with the vertex-vertex term's stiffness semantics: energy kc (h - d)^2 / 2,
// d = |p - q|, so f_p = kc (h - d) (p - q) / d, and the corners take f_k = -w_k f_p (d's gradient
// in x_k is -w_k (p - q) / d, q being the minimiser), which conserves momentum. The force is
// continuous as d crosses h and across the closest point's regions (face, edge, corner); a pair at
// an edge or a corner counts once per triangle sharing it.
// Two gathers find the pairs from the one grid, with the same tests, so they agree:
//  the vertex side: p visits the vertices j within h + reach_j of it (reach_j: the longest edge from
//   j to a corner of a triangle anchored at it, grid_reach) and the triangles anchored at them
//   (model.ts contactLists);
//  the triangle side: a triangle visits the vertices in the cells of its box grown by h, and writes
//   its corners' sums into their adjacency entries (contact.elements.wgsl), which each vertex adds.

/** Cells per axis a search may span; a wider one is skipped and counted (status[1], the step in status[2]). */
const MAX_SPAN: i32 = 8;
/**
 * Whether the box [a, b] spans MAX_SPAN cells or more along an axis, or is not finite. Counted in
 * floats: after a blow-up a box can reach past i32, whose cells saturate, and hi - lo in i32 then
 * wraps negative, so a box of 2^32 cells per axis would be searched (the step hangs).
 */
fn too_wide(a: vec3<f32>, b: vec3<f32>) -> bool {
  return !all(floor(b / p.sc_cell) - floor(a / p.sc_cell) < vec3<f32>(f32(MAX_SPAN)));
}
/** Search boxes grow by this factor, so rounding cannot hide a pair the distance test would keep. */
const SEARCH_SLACK: f32 = 1.001;

fn tri_reach(b: u32) -> f32 { return bitcast<f32>(grid[b * p.grid_stride + 2u * p.hash_size + 1u + p.n]); }
/** The reach of the triangles anchored at vertex j (grid_reach). */
fn anchor_reach(b: u32, j: u32) -> f32 { return bitcast<f32>(grid[b * p.grid_stride + 2u * p.hash_size + 2u + p.n + j]); }
/** x's near_box test against triangle k's box as grid_reach kept it: 6 words instead of its record and 9 corner words. */
fn near_kept_box(b: u32, k: u32, x: vec3<f32>) -> bool {
  let o = b * p.grid_stride + 2u * p.hash_size + 2u + 2u * p.n + k * 6u;
  let lo = vec3<f32>(bitcast<f32>(grid[o]), bitcast<f32>(grid[o + 1u]), bitcast<f32>(grid[o + 2u]));
  let hi = vec3<f32>(bitcast<f32>(grid[o + 3u]), bitcast<f32>(grid[o + 4u]), bitcast<f32>(grid[o + 5u]));
  return near_box(x, lo, hi);
}

/**
 * x lies within h of the triangle's bounding box, the search box's slack included: a cheap test that
 * every pair closer than h passes, so it changes no pair, only how many reach pt_tri. Written as
 * "not outside" so that a NaN passes, as it did before the test.
 */
fn near_box(x: vec3<f32>, lo: vec3<f32>, hi: vec3<f32>) -> bool {
  let g = vec3<f32>(p.sc_thick * SEARCH_SLACK);
  return !(any(x < lo - g) || any(x > hi + g));
}
fn near_tri_box(x: vec3<f32>, xs: array<vec3<f32>, 3>) -> bool { return near_box(x, min(min(xs[0], xs[1]), xs[2]), max(max(xs[0], xs[1]), xs[2])); }

/** Vertex pv leaves out triangle k (pv's excluded list is sorted). */
fn excluded(pv: u32, k: u32) -> bool {
  let hi = model[p.excl_off + pv + 1u];
  for (var e = model[p.excl_off + pv]; e < hi; e++) {
    let t = model[e];
    if (t >= k) { return t == k; }
  }
  return false;
}

/** Closest point of triangle (a, b, c) to x, its weights and its region (Ericson 2005, 5.1.5). */
struct PtTri { q: vec3<f32>, w: vec3<f32>, region: u32 }
const REGION_A: u32 = 0u;
const REGION_B: u32 = 1u;
const REGION_C: u32 = 2u;
const REGION_AB: u32 = 3u;
const REGION_AC: u32 = 4u;
const REGION_BC: u32 = 5u;
const REGION_FACE: u32 = 6u;
// A collapsed triangle (two corners carried onto each other, or onto a line) takes the regions whose
// divisor is not zero: an edge of zero length is skipped for the others, and a face of zero area
// leaves corner a (the reference's ptTriRef makes the same choices).
fn pt_tri(x: vec3<f32>, a: vec3<f32>, b: vec3<f32>, c: vec3<f32>) -> PtTri {
  let ab = b - a;
  let ac = c - a;
  let ap = x - a;
  let d1 = dot(ab, ap);
  let d2 = dot(ac, ap);
  if (d1 <= 0.0 && d2 <= 0.0) { return PtTri(a, vec3<f32>(1.0, 0.0, 0.0), REGION_A); }
  let bp = x - b;
  let d3 = dot(ab, bp);
  let d4 = dot(ac, bp);
  if (d3 >= 0.0 && d4 <= d3) { return PtTri(b, vec3<f32>(0.0, 1.0, 0.0), REGION_B); }
  let vc = d1 * d4 - d3 * d2;
  if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 && d1 - d3 > 0.0) {
    let v = d1 / (d1 - d3);
    return PtTri(a + v * ab, vec3<f32>(1.0 - v, v, 0.0), REGION_AB);
  }
  let cp = x - c;
  let d5 = dot(ab, cp);
  let d6 = dot(ac, cp);
  if (d6 >= 0.0 && d5 <= d6) { return PtTri(c, vec3<f32>(0.0, 0.0, 1.0), REGION_C); }
  let vb = d5 * d2 - d1 * d6;
  if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 && d2 - d6 > 0.0) {
    let w = d2 / (d2 - d6);
    return PtTri(a + w * ac, vec3<f32>(1.0 - w, 0.0, w), REGION_AC);
  }
  let va = d3 * d6 - d5 * d4;
  if (va <= 0.0 && d4 - d3 >= 0.0 && d5 - d6 >= 0.0 && (d4 - d3) + (d5 - d6) > 0.0) {
    let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    return PtTri(b + w * (c - b), vec3<f32>(0.0, 1.0 - w, w), REGION_BC);
  }
  if (!(va + vb + vc > 0.0)) { return PtTri(a, vec3<f32>(1.0, 0.0, 0.0), REGION_A); }
  let den = 1.0 / (va + vb + vc);
  let v = vb * den;
  let w = vc * den;
  return PtTri(a + v * ab + w * ac, vec3<f32>(1.0 - v - w, v, w), REGION_FACE);
}

/** f_p = kc (h - d) (p - q) / d. */
fn vt_force(x: vec3<f32>, q: vec3<f32>) -> vec3<f32> { return pair_force(x - q); }

/** Corner positions of triangle t in copy b. */
fn tri_xs(b: u32, t: TriRec) -> array<vec3<f32>, 3> { return array<vec3<f32>, 3>(x_at(b, t.v.x), x_at(b, t.v.y), x_at(b, t.v.z)); }

/**
 * The vertex side: the penalties on vertex i (at x) from the triangles within h, or with `jvp` the
 * vertex's row of their derivative along the adjoint vectors (contact.tri.adj.wgsl).
 */
fn vt_vertex_side(b: u32, i: u32, x: vec3<f32>, jvp: bool, skipped: ptr<function, u32>) -> vec3<f32> {
  var f = vec3<f32>(0.0);
  if (grid_quiet(b)) { return f; }
  let R = (p.sc_thick + tri_reach(b)) * SEARCH_SLACK;
  if (too_wide(x - vec3<f32>(R), x + vec3<f32>(R))) { *skipped += 1u; return f; }
  let lo = cell_of(x - vec3<f32>(R));
  let hi = cell_of(x + vec3<f32>(R));
  // The box is sized for the longest reach of the copy; two tests drop candidates no pair can come
  // from, so the pairs and their order stay those of the whole box: a cell farther than h + reach
  // from x, an anchor farther than h + its own reach (q lies within h of x and within the anchor's
  // reach of the anchor, being a mean of the corners).
  for (var cz = lo.z; cz <= hi.z; cz++) {
    for (var cy = lo.y; cy <= hi.y; cy++) {
      for (var cx = lo.x; cx <= hi.x; cx++) {
        let c = vec3<i32>(cx, cy, cz);
        let c0 = vec3<f32>(c) * p.sc_cell;
        let gap = max(max(c0 - x, x - (c0 + vec3<f32>(p.sc_cell))), vec3<f32>(0.0));
        if (dot(gap, gap) > R * R) { continue; }
        let r = grid_bucket(b, c);
        for (var e = r.x; e < r.y; e++) {
          let j = grid[e];
          let xj = x_at(b, j);
          if (!in_cell(xj, c)) { continue; }
          let Rj = (p.sc_thick + anchor_reach(b, j)) * SEARCH_SLACK;
          let dj = x - xj;
          if (dot(dj, dj) > Rj * Rj) { continue; }
          let last = model[p.anchor_off + j + 1u];
          for (var ee = model[p.anchor_off + j]; ee < last; ee++) {
            let k = model[ee];
            if (!near_kept_box(b, k, x)) { continue; }
            let t = tri_rec(k);
            if (any(t.v == vec3<u32>(i))) { continue; }
            let xs = tri_xs(b, t);
            let pt = pt_tri(x, xs[0], xs[1], xs[2]);
            let d = x - pt.q;
            if (dot(d, d) >= p.sc_thick * p.sc_thick || excluded(i, k)) { continue; }
            if (jvp) { f += vt_pair_jvp(b, i, x, t, xs, pt)[0]; } else { f += vt_force(x, pt.q); note_pairs(b); }
          }
        }
      }
    }
  }
  return f;
}

/**
 * The triangle side: triangle k's penalties on its corners from the vertices within h, or with
 * `jvp` the corners' rows of their derivative along the adjoint vectors.
 */
fn vt_triangle_side(b: u32, k: u32, jvp: bool, skipped: ptr<function, u32>) -> array<vec3<f32>, 3> {
  var F = array<vec3<f32>, 3>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
  if (grid_quiet(b)) { return F; }
  let t = tri_rec(k);
  let xs = tri_xs(b, t);
  let g = vec3<f32>(p.sc_thick * SEARCH_SLACK);
  let a = min(min(xs[0], xs[1]), xs[2]) - g;
  let z = max(max(xs[0], xs[1]), xs[2]) + g;
  if (too_wide(a, z)) { *skipped += 1u; return F; }
  let lo = cell_of(a);
  let hi = cell_of(z);
  for (var cz = lo.z; cz <= hi.z; cz++) {
    for (var cy = lo.y; cy <= hi.y; cy++) {
      for (var cx = lo.x; cx <= hi.x; cx++) {
        let c = vec3<i32>(cx, cy, cz);
        let r = grid_bucket(b, c);
        for (var e = r.x; e < r.y; e++) {
          let pv = grid[e];
          if (any(t.v == vec3<u32>(pv))) { continue; }
          let x = x_at(b, pv);
          if (!in_cell(x, c) || !near_tri_box(x, xs)) { continue; }
          let pt = pt_tri(x, xs[0], xs[1], xs[2]);
          let d = x - pt.q;
          if (dot(d, d) >= p.sc_thick * p.sc_thick || excluded(pv, k)) { continue; }
          if (jvp) {
            let g4 = vt_pair_jvp(b, pv, x, t, xs, pt);
            F[0] += g4[1];
            F[1] += g4[2];
            F[2] += g4[3];
          } else {
            note_pairs(b);
            let fp = vt_force(x, pt.q);
            F[0] -= pt.w.x * fp;
            F[1] -= pt.w.y * fp;
            F[2] -= pt.w.z * fp;
          }
        }
      }
    }
  }
  return F;
}

/** Vertex i's vertex-triangle force: its vertex side, then its triangles' corner sums in adjacency order. */
fn vt_contact(b: u32, i: u32, x: vec3<f32>, skipped: ptr<function, u32>) -> vec3<f32> {
  var f = contact_vertex_force(b, i, x, skipped);
  let range = vadj(i);
  for (var e = range.x; e < range.y; e++) {
    if (adj_entry(e).kind == 1u) { f += contact_corner_force(b, e); }
  }
  return f;
}
