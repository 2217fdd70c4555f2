// Active tiles: which workgroups of the node kernels (8 x 8 nodes of one z layer of one batch copy,
// see grid_node in params.wgsl) a step's particles reach, so that grid_update and its adjoint skip
// the rest of a mostly empty grid.
// P2G stamps every tile a run's stencil reaches with step + 1; a node kernel's workgroup runs when
// its tile holds this step's stamp. A stamp can only err towards work: a stale one (the same step
// of an earlier rollout) makes an empty tile active, never the reverse, since P2G stamps every tile
// it reaches before the grid kernels run.
// The check is one load, of the workgroup's own stamp: a CPU driver (lavapipe) loads per lane
// even an address that is the same for the whole workgroup, and the twelve loads of an undilated
// check (neighbours in x, y and two layers in z) cost as much as the node work they skip.
// Kernels that include this file declare `tile_stamp: array<u32>` ([B][res.z][tiles y][tiles x]),
// read_write (only P2G writes). Plain, not atomic: the writers of a dispatch all write the same
// value, and readers run in later dispatches.

fn tiles_x() -> u32 { return (params.res.x + 7u) >> 3u; }
fn tiles_y() -> u32 { return (params.res.y + 7u) >> 3u; }

// Stamps every tile the stencil at `base` reaches (up to 2 x 2 in x, y and 3 layers in z), so that a
// node kernel's workgroup reads one stamp: its own.
fn stamp_tile(b: u32, base: vecDi) {
  let nx = tiles_x();
  let ny = tiles_y();
  let x0 = u32(base.x) >> 3u;
  let x1 = (u32(base.x) + 2u) >> 3u;
  let y0 = u32(base.y) >> 3u;
  let y1 = (u32(base.y) + 2u) >> 3u;
  let z0 = b * params.res.z + node_layer(base);
  let stamp = step.step + 1u;
  for (var z = z0; z < z0 + select(1u, 3u, DIM == 3u); z++) {
    for (var y = y0; y <= y1; y++) {
      for (var x = x0; x <= x1; x++) { tile_stamp[(z * ny + y) * nx + x] = stamp; }
    }
  }
}

// Whether the node kernel's workgroup wid (as grid_node reads it) has any node a particle reaches.
fn tile_active(wid: vec3<u32>) -> bool {
  return tile_stamp[(wid.z * tiles_y() + wid.y) * tiles_x() + wid.x] == step.step + 1u;
}
