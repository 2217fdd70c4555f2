// The rules that judge a gradient check's entries: an analytic directional derivative (GPU,
// float32) against a central difference of the float64 reference. Two kinds of noise are told
// apart from a wrong gradient:
//  - the finite difference's own rounding: the float64 loss rounds at FD_NOISE of the terms it is
//    made of, and a central difference divides that by its step;
//  - the float32 adjoint's rounding, relative to the derivatives of the same block (NOISE_FLOOR of
//    the block's largest derivative): per block, so a block with small gradients is judged on its
//    own scale and not hidden under a larger one's noise.
// A derivative is zero to the reference's resolution when the central difference is at its noise;
// then the analytic value must be at noise level too: the difference's noise plus float32 noise,
// which for a block whose derivatives are all zero is measured against the report's largest
// derivative (the block has no scale of its own).
// A derivative can also be small for a reason NOISE_FLOOR does not see: a material parameter of a
// barely strained body multiplies a strain that float32 positions resolve to a few per cent (or,
// where the body is not strained at all, to rounding alone while the reference's is exactly zero).
// For a check that would fail, the checker measures the analytic value's own float32 spread (the
// adjoint rerun from initial states moved by an ulp, which changes every rounding of the rollout
// and nothing else that matters) and accepts a difference within F32_SPREADS of it, as 'f32'. On
// a resolved derivative where the float64 derivative along the GPU's own trajectory (below) agrees
// with the central difference, the spread is the adjoint's own (trajectoryKept), and it counts only
// up to NOISE_FLOOR of the report's largest derivative.
// That spread is the rounding's variation from run to run, not what float32 does to the trajectory
// that every run shares: mpm-walker-2d's groups[2].E over 60 steps is a sum of per-step terms 30x
// its size, and every float32 run's derivative lies 3.3% from the float64 one (3.7 measured spreads;
// the mean of ten jittered runs no closer), while the float64 derivative taken at the GPU's own
// states agrees with the adjoint to 0.25%. So a check that still fails asks the subject for that derivative (its tangent along the
// GPU's trajectory) and accepts an analytic value that agrees with it, as 'path': the adjoint is
// right for the rollout it differentiates. A wrong adjoint is no closer to it than to the float64
// difference, and still fails.

/** float32 noise of an adjoint, relative to the largest derivative of its block. */
export const NOISE_FLOOR = 1e-6;
/** Rounding of the float64 loss, relative to the sum of the magnitudes of its terms. */
export const FD_NOISE = 1e-14;
/** A difference within this many measured float32 spreads of the analytic value is accepted as 'f32'. */
export const F32_SPREADS = 3;
/**
 * A random direction's derivative is about |g| / sqrt(entries): 'ok~' accepts a difference within
 * this many tolerances of that, and at most the tolerance of |g| itself (small blocks). Against
 * |g| alone the allowance grew with the block, and a transposed dL/dF or a tenth of dL/dv0 zeroed
 * passed in blocks of thousands of entries.
 */
export const RANDOM_SLACK = 3;

/**
 * ok: agrees within the tolerance (or within the noise); ok~: along a random direction over
 * several entries the derivative nearly cancels, and the difference is within RANDOM_SLACK
 * tolerances of a typical derivative along a random direction (|g| / sqrt(entries)), at most the
 * tolerance of |g|; noise: the finite difference and the analytic value are both at noise
 * level (a derivative that is zero to the reference's resolution); kink: the finite differences at
 * two steps differ by more than half the tolerance though both stand above their noise (the loss
 * is not smooth along that direction, or not to the tolerance), reported and not judged; f32: the
 * difference is within F32_SPREADS of the analytic value's measured float32 spread (a spread past
 * NOISE_FLOOR of the report's largest derivative only where float32 has moved the trajectory's
 * derivative, where that is measured), reported and not judged on its relative error; path: it agrees (within the tolerance, or F32_SPREADS spreads)
 * with the float64 derivative linearised at the GPU's own float32 trajectory, so the difference
 * from the central difference is the forward's float32 trajectory, not the adjoint; FAIL: none of these.
 */
export type Verdict = 'ok' | 'ok~' | 'noise' | 'kink' | 'f32' | 'path' | 'FAIL';

/** What a check measured before it is judged. */
export interface Measured {
  param: string;
  /** The parameter block (kind) the check belongs to. */
  block: string;
  /** Along the block's analytic gradient (else a random direction). */
  alongGradient: boolean;
  /** Entries in the block. */
  entries: number;
  analytic: number;
  /** Central difference at step eps. */
  numeric: number;
  eps: number;
  /** Norm of the block's analytic gradient in the coordinates of its directions. */
  gradNorm: number;
  /** Sum of the magnitudes of the loss's terms (its rounding noise is FD_NOISE times this). */
  terms: number;
  /**
   * The central difference at step eps / 4 (two more rollouts; asked only when needed), and the
   * forward and backward one-sided differences at that step where the unperturbed loss is known.
   */
  finer: () => Promise<{ value: number; terms: number; oneSided?: [number, number] }>;
  /**
   * The analytic value's float32 spread: the largest difference between it and the same derivative
   * of adjoints rerun from initial states moved by an ulp (asked only when needed; 0 if unmeasured).
   */
  spread?: () => Promise<number>;
  /**
   * The same directional derivative in float64, linearised at the GPU forward's own states
   * (GradcheckSubject.tangent; asked only when needed; absent where the subject has none).
   */
  tangent?: () => Promise<number>;
}

export interface GradCheckEntry {
  param: string;
  block: string;
  analytic: number;
  /** Central difference at the block's step. */
  numeric: number;
  /** Central difference at a quarter of the step, where the check needed one. */
  numericFiner?: number;
  /** Relative error against the central difference that decided (the finer one where it did). */
  relError: number;
  gradNorm: number;
  /** Rounding noise of the central difference at the block's step. */
  fdNoise: number;
  /**
   * float32 noise accepted: NOISE_FLOOR x the block's largest resolved derivative, or x the
   * report's where no derivative of the block stands above its central differences' noise.
   */
  floor: number;
  /** False when the finite differences at two steps disagree above their noise. */
  smooth: boolean;
  /** The analytic value's measured float32 spread, where the check needed it. */
  spread?: number;
  /** The float64 derivative along the GPU's trajectory, where the check needed it. */
  tangent?: number;
  /** The forward and backward one-sided differences at a quarter of the step, where the check measured them. */
  oneSided?: [number, number];
  /**
   * Where the check needed a finer step: the interval an analytic value must lie in to be called
   * 'kink' (by this judge or by a kink the scene names): the measured differences' span, widened
   * by the tolerance and their noise (kinkSpan below).
   */
  kinkSpan?: [number, number];
  /** A kink within float32 rounding of the inputs that the check's block meets (GradcheckSubject.kinks), where one decided 'kink'. */
  kinkAt?: string;
  verdict: Verdict;
  ok: boolean;
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);

/** Judges every entry; asks for finer differences (in parallel) where a check would otherwise fail. */
export async function judgeChecks(ms: Measured[], tol: number): Promise<GradCheckEntry[]> {
  const noise = (m: { terms: number }, h: number) => (FD_NOISE * m.terms) / h;
  const floors = new Map<string, number>();
  let global = 0;
  for (const m of ms) {
    if (Math.abs(m.numeric) <= noise(m, m.eps)) continue; // unresolved: says nothing of a scale
    floors.set(m.block, Math.max(floors.get(m.block) ?? 0, NOISE_FLOOR * Math.abs(m.numeric)));
    global = Math.max(global, NOISE_FLOOR * Math.abs(m.numeric));
  }
  return Promise.all(ms.map((m) => {
    const fdNoise = noise(m, m.eps);
    // a block with no resolved derivative has no scale of its own: the report's
    const floor = floors.get(m.block) ?? global;
    return judgeOne(m, tol, fdNoise, floor, noise, global);
  }));
}

async function judgeOne(m: Measured, tol: number, fdNoise: number, floor: number,
  noise: (m: { terms: number }, h: number) => number, global: number): Promise<GradCheckEntry> {
  const a = m.analytic, n = m.numeric;
  const e: GradCheckEntry = {
    param: m.param, block: m.block, analytic: a, numeric: n, relError: relErr(a, n), gradNorm: m.gradNorm,
    fdNoise, floor, smooth: true, verdict: 'FAIL', ok: false,
  };
  const agrees = (x: number, allow: number) => (relErr(a, x) <= tol && Math.sign(a) === Math.sign(x)) || Math.abs(a - x) <= allow;
  const allow = fdNoise + floor;
  if (Math.abs(n) <= fdNoise && Math.abs(a) <= allow) e.verdict = 'noise';
  else if (agrees(n, allow)) e.verdict = 'ok';
  else if (!m.alongGradient && m.entries > 1 && Math.abs(a - n) <= tol * m.gradNorm * Math.min(1, RANDOM_SLACK / Math.sqrt(m.entries))) e.verdict = 'ok~';
  else {
    const f = await m.finer();
    const noise4 = noise(f, m.eps / 4);
    e.numericFiner = f.value;
    e.oneSided = f.oneSided;
    // a one-sided difference rounds as two central ones at its step
    e.kinkSpan = kinkSpan([n, f.value, ...(f.oneSided ?? [])], Math.abs(f.value - n), tol, fdNoise + floor + (f.oneSided ? 2 : 1) * noise4);
    const inSpan = a >= e.kinkSpan[0] && a <= e.kinkSpan[1];
    if (Math.abs(n) <= fdNoise && Math.abs(f.value) <= noise4) {
      // zero to the reference's resolution, and the analytic value is not (else 'noise' above),
      // unless it is within the adjoint's own float32 spread: a material parameter of a body the
      // rollout does not strain (free fall), whose float32 strain is rounding alone
      if (m.spread) {
        e.spread = await m.spread();
        if (Math.abs(a) <= F32_SPREADS * e.spread + noise4) e.verdict = 'f32';
      }
      if (e.verdict === 'FAIL') await alongPath(e, m, agrees, noise4, e.spread ?? 0);
    } else {
      /** The spread the 'path' rule may excuse: none where it is the adjoint's own and past float32 noise. */
      let excused: number | undefined;
      // smooth where a quarter of the step moves the difference by under half the tolerance: a
      // difference that moves more does not resolve the derivative to the tolerance (a collider's
      // position across nodes entering its cover, in jumps too small to show as a factor of 4)
      e.smooth = Math.abs(f.value - n) <= 0.5 * tol * Math.max(Math.abs(f.value), Math.abs(n)) + fdNoise + noise4;
      // a corner at the inputs themselves (a node moving exactly along a wall, a body at rest on
      // one): central differences at any step straddle it alike and see the mean of its sides,
      // while the one-sided differences keep them apart
      if (f.oneSided) {
        const [fw, bw] = f.oneSided;
        if (Math.abs(fw - bw) > 0.5 * tol * Math.max(Math.abs(fw), Math.abs(bw)) + 4 * noise4) e.smooth = false;
      }
      if (agrees(f.value, noise4 + floor)) { e.verdict = 'ok'; e.relError = relErr(a, f.value); } // the step was too coarse
      else if (!e.smooth && inSpan) e.verdict = 'kink';
      else if (m.spread) {
        // where float32 has not moved the trajectory's derivative, the spread is the adjoint's own,
        // and it excuses a difference only at the float32 noise of the report's largest derivative
        const kept = await trajectoryKept(e, m, f.value, tol, noise4 + floor);
        e.spread = await m.spread();
        if (kept && e.spread > global) excused = 0;
        else if (Math.abs(a - f.value) <= F32_SPREADS * e.spread + noise4) e.verdict = 'f32';
      }
      if (e.verdict === 'FAIL') await alongPath(e, m, agrees, noise4, excused ?? e.spread ?? 0);
    }
  }
  e.ok = e.verdict !== 'FAIL';
  return e;
}

/**
 * At a kink the adjoint's value is a one-sided derivative, or lies between them (a subgradient, a
 * mean of the sides), so it lies among the differences measured across the kink `xs` (central at
 * the step and a quarter of it, one-sided at the quarter step), widened by what each of them is
 * allowed on its own: the tolerance (of the largest), the noise `allow` ('ok''s, at the noisiest
 * step), and the amount `moved` that the quarter step moved the central difference, which is as far
 * as a loss with small jumps (nodes entering a collider's cover) resolves its derivative. A value
 * outside it (three times a side, a side with its sign flipped) is no derivative of the loss on
 * either side.
 */
export function kinkSpan(xs: number[], moved: number, tol: number, allow: number): [number, number] {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const w = tol * Math.max(Math.abs(lo), Math.abs(hi)) + moved + allow;
  return [lo - w, hi + w];
}

/**
 * 'path' where the analytic value agrees with the float64 derivative taken along the GPU's own
 * trajectory: within the tolerance (signs agreeing), or within the noise and F32_SPREADS of the
 * measured spread (the adjoint's own rounding, which that derivative does not share).
 */
async function alongPath(e: GradCheckEntry, m: Measured, agrees: (x: number, allow: number) => boolean, noise4: number, spread: number): Promise<void> {
  if (!m.tangent) return;
  e.tangent ??= await m.tangent();
  if (agrees(e.tangent, noise4 + e.floor + F32_SPREADS * spread)) e.verdict = 'path';
}

/**
 * Whether the float64 derivative along the GPU's own trajectory agrees with the central difference
 * (within the tolerance and the noise): then float32 has not moved the trajectory's derivative, and
 * a spread of the analytic value is the adjoint's own, not the forward's: an adjoint's rounding
 * counts at NOISE_FLOOR of the report's largest derivative (an OBJ cloth's dL/d bending, 1e-7, in
 * a report whose largest is 300), and a spread beyond that is no float32 rounding. An adjoint whose
 * replay skipped a crisp contact by rounding (a vertex stuck to a moving ball judged idle) moved by
 * a third from run to run, and a value 24% off (dL/d the ball's position 1.89 against 2.50, the
 * path and the difference alike) passed as 'f32'.
 */
async function trajectoryKept(e: GradCheckEntry, m: Measured, finer: number, tol: number, allow: number): Promise<boolean> {
  if (!m.tangent) return false;
  const t = (e.tangent = await m.tangent());
  return Math.abs(t - finer) <= tol * Math.max(Math.abs(t), Math.abs(finer)) + allow;
}
