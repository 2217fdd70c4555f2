// Active tiles: which workgroups of the node kernels (8 x 8 nodes of one z layer of one batch copy,
// see grid_node in params.wgsl) a step's particles reach, so that grid_update and its adjoint skip
// the rest of a mostly empty grid (a 32k-particle solid fills 1.5% of a 64^3 grid).
// P2G stamps the tile of each run's stencil base with step + 1. A stencil reaches 2 nodes beyond its
// base on each axis, so a node tile is active when it, the tile before it in x and/or y, or those
// tiles up to two layers below in z, hold this step's stamp. A stamp can only err towards work: a
// stale one (the same step of an earlier rollout) makes an empty tile active, never the reverse,
// since P2G stamps every tile it reaches before the grid kernels run.
// Kernels that include this file declare `tile_stamp: array<atomic<u32>>` ([B][res.z][tiles y][tiles x]).

fn tiles_x() -> u32 { return (params.res.x + 7u) >> 3u; }
fn tiles_y() -> u32 { return (params.res.y + 7u) >> 3u; }

fn stamp_tile(b: u32, base: vecDi) {
  let t = ((b * params.res.z + node_layer(base)) * tiles_y() + (u32(base.y) >> 3u)) * tiles_x() + (u32(base.x) >> 3u);
  atomicStore(&tile_stamp[t], step.step + 1u);
}

// Whether the node kernel's workgroup wid (as grid_node reads it) has any node a particle reaches.
fn tile_active(wid: vec3<u32>) -> bool {
  let z = wid.z % params.res.z; // per workgroup
  let nx = tiles_x();
  let ny = tiles_y();
  let want = step.step + 1u;
  for (var dz = 0u; dz <= min(z, 2u); dz++) {
    for (var dy = 0u; dy <= min(wid.y, 1u); dy++) {
      for (var dx = 0u; dx <= min(wid.x, 1u); dx++) {
        if (atomicLoad(&tile_stamp[((wid.z - dz) * ny + wid.y - dy) * nx + wid.x - dx]) == want) { return true; }
      }
    }
  }
  return false;
}
