// Host side of the fixed-point accumulation documented in src/shaders/common/fixed_point.wgsl.

/** A grid node may hold this many times the mass of a cell at rest before i32 overflow. */
export const FP_HEADROOM = 8;
/**
 * Values are scaled so the bound maps to at most 2^30 - 2^20, under half the i32 range: a node
 * beyond the bound is reported (grid_update) while its sum is still exact. The 2^20 keeps an exact
 * power-of-two bound from landing on 2^30, where two of them would wrap.
 */
const TARGET = 2 ** 30 - 2 ** 20;

export interface FixedPointScales {
  /** Scale of grid mass: resolution 1/fpM. */
  fpM: number;
  /** Scale of grid momentum: resolution 1/fpP. */
  fpP: number;
  /** Largest representable node mass and momentum (the overflow bounds). */
  massBound: number;
  momentumBound: number;
}

export function pow2Below(x: number): number {
  return 2 ** Math.floor(Math.log2(x));
}

/** Particle speed that marks a blow-up: one cell per step (MPM's transfers assume far less). */
export function speedLimit(dx: number, dt: number): number {
  return dx / dt;
}

/**
 * Scales for P2G from the densest group: a node at rest holds about density * dx^DIM; momentum is
 * bounded by that mass moving at the blow-up speed (speedLimit). The bounds returned are what
 * grid_update checks: beyond them a step is reported, before any i32 sum can wrap (at 2x).
 */
export function forwardScales(maxDensity: number, dx: number, dt: number, dim: number): FixedPointScales {
  const massBound = FP_HEADROOM * maxDensity * dx ** dim;
  const momentumBound = massBound * speedLimit(dx, dt);
  const fpM = pow2Below(TARGET / massBound);
  const fpP = pow2Below(TARGET / momentumBound);
  return { fpM, fpP, massBound: 2 ** 30 / fpM, momentumBound: 2 ** 30 / fpP };
}

/**
 * Mirror of adj_grid_scale in WGSL (fixed_point.wgsl): the scale of the adjoint grid's sums for a
 * step whose largest per-particle term is maxContribution, with the headroom of a node holding
 * massBound (the forward's m_bound), which sums at most massBound * invMinMass stencil weights.
 */
export function adjointScale(maxContribution: number, massBound: number, invMinMass: number): number {
  if (!(maxContribution > 0) || !Number.isFinite(maxContribution)) return 1;
  const count = Math.max(Math.fround(massBound * invMinMass), 1);
  const e = Math.floor(Math.log2(count)) + 1; // frexp: count = f 2^e with f in [0.5, 1)
  const x = Math.floor(Math.log2(2 ** 30 / maxContribution)) - e;
  return 2 ** Math.min(120, Math.max(-120, x));
}

export function encode(x: number, scale: number): number {
  const lim = 2147483000;
  const y = Math.min(lim, Math.max(-lim, x * scale));
  // WGSL round() is round-half-to-even
  const r = Math.round(y);
  return Math.abs(y % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Mirror of fp_split in WGSL: [integer part, fraction in 2^-16 units] of x * scale. */
export function splitEncode(x: number, scale: number): [number, number] {
  const lim = 2147483000;
  const y = Math.fround(Math.min(lim, Math.max(-lim, Math.fround(x * scale))));
  const h = Math.floor(y);
  return [h, encode(Math.fround(y - h), 65536)];
}

/** Mirror of fp_join in WGSL (float32 arithmetic): the value of a split pair at 1 / scale. */
export function splitDecode(hi: number, lo: number, invScale: number): number {
  return Math.fround(Math.fround(Math.fround(hi) * invScale) + Math.fround(Math.fround(lo) * Math.fround(invScale / 65536)));
}
