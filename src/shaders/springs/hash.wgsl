// The self-contact grid's cells: cell size sc_cell (2.25 thicknesses, layout.ts SC_CELL), hashed into hash_size buckets.
fn cell_hash(c: vecDi) -> u32 {
  var h = 0u;
  let primes = vec3<u32>(73856093u, 19349663u, 83492791u);
  for (var a = 0u; a < DIM; a++) { h ^= bitcast<u32>(c[a]) * primes[a]; }
  return h % p.hash_size;
}
fn cell_of(x: vecD) -> vecDi { return vecDi(floor(x / p.sc_cell)); }

