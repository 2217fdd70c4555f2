// Fixed-point accumulation: the one float-scatter mechanism of Torsion (WGSL has no float atomics).
// A value x is added to an i32 accumulator as round(x * scale); integer addition is associative,
// so the sum does not depend on thread order and runs are bitwise reproducible.
//
// Forward P2G: scales are powers of two chosen on the host (src/mpm/fixed-point.ts) so that a
// grid node can hold FP_HEADROOM times the mass of a cell at rest (and that mass moving at the
// blow-up speed dx/dt) within 2^30, half the i32 range; grid_update reports a node beyond that as a
// blow-up before the sum can wrap. Mass is one word (resolution 1/scale). Momentum is two words
// (fp_split): a bound that must cover dx/dt leaves one word too coarse for the usual speeds (a
// jelly moving at 5% of dx/dt would keep ~18 bits), so the fraction of x * scale goes to a second
// accumulator in units of 2^-16; up to 32768 contributions per node fit in it.
// Adjoint grid (p2g.wgsl, replay: a step adjoint's p2g and g2p adjoint's scatter, one pass): each
// sum has a per-step bound m on what one particle adds per unit of stencil weight (recorded by
// the forward's p2g for momentum, the atomicMax adj_max for the gradient; exact float maxima), and
// sum_p w_ip <= m_i / m_min <= m_bound / m_min for every node of a step that did not blow up, since
// every particle weighs at least m_min and sum_p w_ip m_p = m_i. So scale = 2^floor(log2(2^30 / m))
// / 2^e with m_bound / m_min <= 2^e: a node sum, and any run's part of it, stays under 2^30.
const FP_LIMIT: f32 = 2147483000.0;

fn fp_encode(x: f32, scale: f32) -> i32 {
  return i32(round(clamp(x * scale, -FP_LIMIT, FP_LIMIT)));
}

fn fp_decode(q: i32, inv_scale: f32) -> f32 {
  return f32(q) * inv_scale;
}

const FP_LO_UNITS: f32 = 65536.0;

// (integer part, fraction in 2^-16 units) of x * scale; floor keeps the fraction in [0, 1).
fn fp_split(x: f32, scale: f32) -> vec2<i32> {
  let y = clamp(x * scale, -FP_LIMIT, FP_LIMIT);
  let h = floor(y);
  return vec2<i32>(i32(h), i32(round((y - h) * FP_LO_UNITS)));
}

fn fp_join(hi: i32, lo: i32, inv_scale: f32) -> f32 {
  return f32(hi) * inv_scale + f32(lo) * (inv_scale / FP_LO_UNITS);
}

// Scale for an adjoint sum (see the header): terms per unit weight at most the float whose bits
// are max_bits, weights summing to at most `count`. 1 when the step has no term (all zero).
fn fp_adj_scale(max_bits: u32, count: f32) -> f32 {
  let m = bitcast<f32>(max_bits);
  if (!(m > 0.0) || non_finite(m)) { return 1.0; }
  let e = frexp(max(count, 1.0)).exp;
  return exp2(clamp(floor(log2(1073741824.0 / m)) - f32(e), -120.0, 120.0));
}
