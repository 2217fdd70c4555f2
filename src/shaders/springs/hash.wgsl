// The self-contact grid's cells: cell size sc_cell (2.25 thicknesses, layout.ts SC_CELL), hashed into hash_size buckets.
fn cell_hash(c: vecDi) -> u32 {
  var h = 0u;
  let primes = vec3<u32>(73856093u, 19349663u, 83492791u);
  for (var a = 0u; a < DIM; a++) { h ^= bitcast<u32>(c[a]) * primes[a]; }
  return h % p.hash_size;
}
fn cell_of(x: vecD) -> vecDi { return vecDi(floor(x / p.sc_cell)); }


// Contact records (3D shells' split adjoint, adjoint.pre.wgsl): status[CONTACT_RECORDS + t B + b] is
// QUIET where the last forward of step t found no self-contact pair in copy b: the step's element
// passes set it (elements.wgsl open_contact_record), any pair its contact passes or the step find
// clears it (step.wgsl note_pairs). Zero, the buffer's first state, means "search". A record can
// be wrong only for an adjoint of states the forward did not step from, which the rollout refuses
// (Simulator.stepsEncoded). A quiet step's adjoint builds no grid and searches nothing: its search
// would find no pair, so every contact term is zero either way. CONTACT_RECORDS and QUIET come from
// the host (SpringSim), which reads the records by them.
fn contact_record(t: u32, b: u32) -> u32 { return CONTACT_RECORDS + t * p.batch + b; }
/** The last word of copy b's grid: nonzero where this step's grid was left unbuilt (a quiet step's adjoint). */
fn quiet_word(b: u32) -> u32 { return b * p.grid_stride + p.grid_stride - 1u; }
