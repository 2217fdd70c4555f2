// Host side of the fixed-point accumulation documented in src/shaders/common/fixed_point.wgsl.

/** A grid node may hold this many times the mass of a cell at rest before i32 overflow. */
export const FP_HEADROOM = 8;
/** Values are scaled so the bound maps to 2^30, half the i32 range: sums of bounded terms keep a 2x margin. */
const TARGET = 2 ** 30;

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

/**
 * Scales for P2G from the densest group: a node at rest holds about density * dx^DIM; momentum is
 * bounded by that mass moving at the CFL speed dx/dt (faster material has already blown up).
 */
export function forwardScales(maxDensity: number, dx: number, dt: number, dim: number): FixedPointScales {
  const massBound = FP_HEADROOM * maxDensity * dx ** dim;
  const momentumBound = massBound * (dx / dt) / 2;
  const fpM = pow2Below(TARGET / massBound);
  const fpP = pow2Below(TARGET / momentumBound);
  return { fpM, fpP, massBound: 2 ** 31 / fpM, momentumBound: 2 ** 31 / fpP };
}

/** Mirror of fp_adj_scale in WGSL (for tests and documentation). */
export function adjointScale(maxContribution: number): number {
  if (!(maxContribution > 0) || !Number.isFinite(maxContribution)) return 1;
  const e = Math.floor(Math.log2(TARGET / (maxContribution * 1024)));
  return 2 ** Math.min(120, Math.max(-120, e));
}

export function encode(x: number, scale: number): number {
  const lim = 2147483000;
  const y = Math.min(lim, Math.max(-lim, x * scale));
  // WGSL round() is round-half-to-even
  const r = Math.round(y);
  return Math.abs(y % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
