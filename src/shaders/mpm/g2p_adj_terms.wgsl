// The per-particle terms of g2p's adjoint (g2p.adj.wgsl, "local"), as a pure function of the
// particle's state at step s (P), its state at s + 1 as g2p wrote it (Q: v' and C') and
// G = dL/d(state at s + 1). Shared by g2p_adj.local and by p2g's adjoint of step s + 1, which
// computes them for step s right after it has G (fused: see p2g.adj.wgsl).
// rec, in the particle layout: x and F hold the partial gradient of state s through g2p (but for
// the part through the stencil weights, gathered by p2g's adjoint); v and C hold the scatter terms
// a = dL/dv' and Bm = 4/dx^2 dL/dC'. bound: the largest |node gradient| they can add, for adj_max.
struct G2pAdjTerms { rec: Particle, bound: f32 }

fn g2p_adj_terms(g: Group, P: Particle, Q: Particle, G: Particle) -> G2pAdjTerms {
  let c4 = 4.0 * params.inv_dx * params.inv_dx;
  let v = Q.v;
  // g2p clamps x' = x + dt v' into x_bounds (params.wgsl), and where it did, dL/dx' reaches
  // neither x nor v'. The x' it wrote lies on a bound exactly there (and, with measure zero, where
  // x + dt v' fell on one): read from Q, it spares p2g's fused adjoint the load of x before the
  // step (a CPU driver loads per lane: about 1% of a 2D step adjoint).
  var gxo = G.x;
  for (var d = 0u; d < DIM; d++) {
    let xb = x_bounds(d);
    if (Q.x[d] <= xb.x || Q.x[d] >= xb.y) { gxo[d] = 0.0; }
  }
  let dC = params.dt * Q.C;
  let Fd = ident() + dC;
  let gFpre = deformation_update_adj(g, dC, P.F, G.F);
  let gv = G.v + params.dt * gxo;
  let gC = G.C + params.dt * gFpre * transpose(deformation(g, P.F));
  // dL/dx through dpos of the gather: sum_i -c4 w_ip gC^T v_i = -c4 gC^T v', as g2p summed
  // v' = sum_i w_ip v_i (the part through the weights is gathered by p2g's adjoint).
  let gx = gxo - c4 * (transpose(gC) * v);
  let Bm = gC * c4;
  var bound = 0.0;
  for (var d = 0u; d < DIM; d++) {
    var row = abs(gv[d]);
    for (var j = 0u; j < DIM; j++) { row += 1.5 * params.dx * abs(Bm[j][d]); }
    bound = max(bound, row);
  }
  if (non_finite(bound)) { bound = 3.0e38; }
  return G2pAdjTerms(Particle(gx, gv, Bm, transpose(Fd) * gFpre), bound);
}
