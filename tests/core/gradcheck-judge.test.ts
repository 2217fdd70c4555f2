// The judging rules of a gradient check on synthetic entries (no GPU, no rollout): each rule must
// accept what it is for and fail a wrong analytic value that it could hide.
import { describe, expect, it } from 'vitest';
import { FD_NOISE, NOISE_FLOOR, judgeChecks, type Measured, type Verdict } from '../../src/core/gradcheck';

const TOL = 1e-2;

/** A measured check; `terms` 1 and `eps` 1e-6 give a central-difference noise of FD_NOISE / 1e-6 = 1e-8. */
function entry(o: Partial<Measured> & { analytic: number; numeric: number }, finer?: number, oneSided?: [number, number]): Measured & { asked: () => number } {
  let asked = 0;
  const m = {
    param: 'p', block: 'p', alongGradient: true, entries: 10, eps: 1e-6, gradNorm: Math.abs(o.analytic), terms: 1,
    ...o,
    finer: async () => {
      asked++;
      if (finer === undefined) throw new Error('this check was not to need a finer step');
      return { value: finer, terms: 1, oneSided };
    },
  };
  return Object.assign(m, { asked: () => asked });
}
const NOISE = FD_NOISE / 1e-6;

async function verdicts(ms: Measured[]): Promise<Verdict[]> {
  return (await judgeChecks(ms, TOL)).map((e) => e.verdict);
}

describe('gradcheck judging', () => {
  it('agreement within the tolerance passes without a finer step; a wrong value fails when the finer step agrees with the first', async () => {
    const good = entry({ analytic: 1.004, numeric: 1 });
    const bad = entry({ analytic: 1.05, numeric: 1 }, 1.0001);
    expect(await verdicts([good, bad])).toEqual(['ok', 'FAIL']);
    expect(good.asked()).toBe(0);
    const flipped = entry({ analytic: -1e-3, numeric: 1e-3 }, 1e-3);
    expect(await verdicts([flipped])).toEqual(['FAIL']);
  });

  it('a kink: the differences at two steps disagree above their noise, so the check is reported and not judged', async () => {
    const [e] = await judgeChecks([entry({ analytic: 0.5, numeric: 1 }, 2)], TOL);
    expect([e.verdict, e.ok, e.smooth, e.numericFiner]).toEqual(['kink', true, false, 2]);
  });

  it('differences that a quarter step moves by more than half the tolerance are a kink; by less, a wrong value still fails', async () => {
    // 1.00 then 0.97: the difference does not resolve the derivative to 1% (nodes entering a
    // collider's cover in small jumps), so 1.02 is not judged against it
    const [unresolved] = await judgeChecks([entry({ analytic: 1.02, numeric: 1 }, 0.97)], TOL);
    expect([unresolved.verdict, unresolved.smooth]).toEqual(['kink', false]);
    // 1.000 then 0.997 resolves it: 1.02 is 2% off both
    const [wrong] = await judgeChecks([entry({ analytic: 1.02, numeric: 1 }, 0.997)], TOL);
    expect([wrong.verdict, wrong.smooth]).toEqual(['FAIL', true]);
  });

  it('a corner at the inputs: one-sided differences that disagree make a kink though central ones agree at both steps', async () => {
    // slopes 1 and 0.5 on the two sides: every central difference reads 0.75, the adjoint took a side
    const [corner] = await judgeChecks([entry({ analytic: 1, numeric: 0.75 }, 0.75, [1, 0.5])], TOL);
    expect([corner.verdict, corner.smooth]).toEqual(['kink', false]);
    // one-sided differences that agree: smooth, and 1 against 0.75 fails
    const [wrong] = await judgeChecks([entry({ analytic: 1, numeric: 0.75 }, 0.75, [0.7501, 0.7499])], TOL);
    expect([wrong.verdict, wrong.smooth]).toEqual(['FAIL', true]);
  });

  it('a kink excuses only an analytic value among the differences measured across it: three times a side, or a side flipped, fails', async () => {
    // slopes 1 and 0.5 on the two sides: central differences read 0.75, the one-sided ones 1 and 0.5
    const corner = (analytic: number) => entry({ analytic, numeric: 0.75 }, 0.75, [1, 0.5]);
    // a side, the other side, their mean: each a derivative of the loss on one side or between them
    expect(await verdicts([corner(1), corner(0.5), corner(0.75)])).toEqual(['kink', 'kink', 'ok']);
    // three times a side, a side with its sign flipped: no derivative of the loss on either side
    const [tripled, flipped] = await judgeChecks([corner(3), corner(-1)], TOL);
    expect([tripled.verdict, tripled.smooth, flipped.verdict, flipped.smooth]).toEqual(['FAIL', false, 'FAIL', false]);
    expect(tripled.kinkSpan![0]).toBeLessThan(0.5);
    expect(tripled.kinkSpan![1]).toBeGreaterThan(1);
    expect(tripled.kinkSpan![1]).toBeLessThan(1.02);
    // differences that a quarter step moves (1.00, then 0.97): a value within that movement is a
    // kink, three times it or flipped is not
    const jumps = (analytic: number) => entry({ analytic, numeric: 1 }, 0.97);
    expect(await verdicts([jumps(1.02), jumps(3), jumps(-1)])).toEqual(['kink', 'FAIL', 'FAIL']);
  });

  it('differences that disagree at noise level are no kink: the derivative is zero, and a non-zero analytic value fails', async () => {
    // float64 noise at two steps (the finer one 4x noisier): they disagree by far more than 10%
    const wrong = entry({ analytic: 1e-3, numeric: 0.3 * NOISE }, -2 * NOISE);
    const [e] = await judgeChecks([wrong], TOL);
    expect([e.verdict, e.ok, e.smooth]).toEqual(['FAIL', false, true]);
    // exactly zero (the parameter has no effect in float64), analytic clearly non-zero
    expect(await verdicts([entry({ analytic: 1e-3, numeric: 0 }, 0)])).toEqual(['FAIL']);
    // at the noise with the analytic value at the noise too: a zero derivative, accepted
    const zero = entry({ analytic: 0.5 * NOISE, numeric: 0 });
    expect(await verdicts([zero])).toEqual(['noise']);
    expect(zero.asked()).toBe(0);
  });

  it('for a derivative that is zero to the reference, float32 noise is measured against the report\'s largest derivative', async () => {
    // A block without a scale of its own (its derivative is zero in float64) next to one of 1e3:
    // float32 rounding of the adjoint is accepted up to NOISE_FLOOR x 1e3 = 1e-3, no further.
    const large = entry({ block: 'large', analytic: 1e3, numeric: 1e3 });
    const noisy = entry({ block: 'zero', analytic: 5e-4, numeric: 0 });
    const wrong = entry({ block: 'zero', param: 'q', analytic: 5e-3, numeric: 0 }, 0);
    const rep = await judgeChecks([large, noisy, wrong], TOL);
    expect(rep.map((e) => e.verdict)).toEqual(['ok', 'noise', 'FAIL']);
    expect(rep[1].floor).toBeCloseTo(1e-3, 12);
    // a block with a scale of its own keeps it for its unresolved checks: 5e-4 is not noise there
    const resolved = entry({ block: 'small', analytic: 1e-2, numeric: 1e-2 });
    const unresolved = entry({ block: 'small', param: 'q', analytic: 5e-4, numeric: 0 }, 0);
    expect(await verdicts([large, resolved, unresolved])).toEqual(['ok', 'ok', 'FAIL']);
  });

  it('a block with small derivatives is judged on its own scale, next to a large one', async () => {
    const large = entry({ block: 'large', analytic: 1e3, numeric: 1e3 });
    // 1e-4 is far below NOISE_FLOOR x 1e3 = 1e-3, far above the differences' noise (1e-8)
    const smallWrong = entry({ block: 'small', analytic: 2e-4, numeric: 1e-4 }, 1e-4);
    const smallRight = entry({ block: 'small', param: 'q', analytic: 1.0001e-4, numeric: 1e-4 });
    const rep = await judgeChecks([large, smallWrong, smallRight], TOL);
    expect(rep.map((e) => e.verdict)).toEqual(['ok', 'FAIL', 'ok']);
    expect(rep[1].floor).toBeCloseTo(NOISE_FLOOR * 1e-4, 20);
    expect(rep[0].floor).toBeCloseTo(NOISE_FLOOR * 1e3, 12);
  });

  it('float32 noise within a block is accepted: a difference under NOISE_FLOOR of the block\'s largest derivative', async () => {
    const big = entry({ block: 'b', analytic: 10, numeric: 10 });
    const cancelled = entry({ block: 'b', param: 'q', alongGradient: false, entries: 1, analytic: 3e-6, numeric: 1e-6 });
    expect(await verdicts([big, cancelled])).toEqual(['ok', 'ok']);
  });

  it('ok~ bounds a random direction\'s error by its own block\'s gradient norm, and only over several entries', async () => {
    const large = entry({ block: 'large', analytic: 1e3, numeric: 1e3, gradNorm: 1e3 });
    const random = { block: 'small', alongGradient: false, entries: 50, gradNorm: 1e-3 };
    // |a - n| = 2e-6 <= 1e-2 x 1e-3: the direction nearly cancels, accepted
    const within = entry({ ...random, param: 'r1', analytic: 3e-6, numeric: 1e-6 });
    // |a - n| = 4.9e-5 > 1e-2 x 1e-3: fails, however large the other block's norm
    const beyond = entry({ ...random, param: 'r2', analytic: 5e-5, numeric: 1e-6 }, 1e-6);
    // the same error over a single entry cannot be a cancellation
    const single = entry({ ...random, param: 'r3', entries: 1, analytic: 3e-6, numeric: 1e-6 }, 1e-6);
    // nor along the gradient
    const along = entry({ ...random, param: 'r4', alongGradient: true, analytic: 3e-6, numeric: 1e-6 }, 1e-6);
    expect(await verdicts([large, within, beyond, single, along])).toEqual(['ok', 'ok~', 'FAIL', 'FAIL', 'FAIL']);
  });

  it('ok~ over a large block is held to its typical random-direction derivative, |g| / sqrt(entries)', async () => {
    // 10,000 entries, |g| = 1e-3: a random direction's derivative is about 1e-5, so ok~ allows
    // 3 x 1e-2 x 1e-5 = 3e-7, not the 1e-5 that a bound by |g| alone would (which let a transposed
    // dL/dF pass)
    const random = { block: 'big', alongGradient: false, entries: 10000, gradNorm: 1e-3 };
    const within = entry({ ...random, param: 'b1', analytic: 1.2e-6, numeric: 1e-6 });
    const beyond = entry({ ...random, param: 'b2', analytic: 2e-6, numeric: 1e-6 }, 1e-6);
    expect(await verdicts([within, beyond])).toEqual(['ok~', 'FAIL']);
  });

  it('a derivative zero in float64 whose analytic value is within the adjoint\'s float32 spread is f32; beyond it, FAIL', async () => {
    // an unstrained body's material parameter: float32 rounding is all its strain, and the
    // adjoint rerun from states an ulp away moves the value by as much as the value itself
    const spread = (s: number) => ({ spread: async () => s });
    const rounding = entry({ block: 'E', analytic: 1.2e-5, numeric: 0, ...spread(1e-5) }, 0);
    const [e] = await judgeChecks([rounding], TOL);
    expect([e.verdict, e.ok, e.spread]).toEqual(['f32', true, 1e-5]);
    // the same value with a spread 100 times smaller is a wrong adjoint, not rounding
    expect(await verdicts([entry({ block: 'E', analytic: 1.2e-5, numeric: 0, ...spread(1e-7) }, 0)])).toEqual(['FAIL']);
  });

  it('a derivative float32 has moved: path where the float64 derivative along the GPU\'s own trajectory agrees, FAIL where it does not', async () => {
    // mpm-walker-2d's groups[2].E over 60 steps, seed 1: the adjoint 3.3% from the central
    // difference, 3.7 measured spreads, and 0.24% from the float64 derivative at the GPU's states
    let asked = 0;
    const walker = (analytic: number) => entry({
      block: 'E', entries: 1, analytic, numeric: -6.060027e-4, spread: async () => 5.4e-6,
      tangent: async () => { asked++; return -6.275754e-4; },
    }, -6.059969e-4);
    const [e] = await judgeChecks([walker(-6.260665e-4)], TOL);
    expect([e.verdict, e.ok, e.tangent, e.spread]).toEqual(['path', true, -6.275754e-4, 5.4e-6]);
    // a wrong adjoint (this one 5% off) is as far from the trajectory's derivative: FAIL
    expect(await verdicts([walker(1.05 * -6.260665e-4)])).toEqual(['FAIL']);
    // and the same along a derivative that is zero in float64 (its noise branch)
    const zero = entry({ block: 'z', analytic: 1e-3, numeric: 0, tangent: async () => 2e-3 }, 0);
    expect(await verdicts([zero])).toEqual(['FAIL']);
    // a check that passes on its own never asks for the trajectory's derivative
    asked = 0;
    expect(await verdicts([walker(-6.08e-4)])).toEqual(['ok']);
    expect(asked).toBe(0);
  });

  it('a spread is no excuse where the float64 derivative along the GPU\'s trajectory agrees with the difference: the spread is the adjoint\'s own', async () => {
    // a fuzzed hanging cloth hit by a crisp ball (friction 0.34), colliders[0].position over 60
    // steps: the adjoint skipped a stuck vertex's contact by rounding, and its value moved by a
    // third from run to run
    const ball = (tangent?: number) => entry({
      block: 'c', entries: 180, alongGradient: false, gradNorm: 26, analytic: 1.894716, numeric: 2.502318, spread: async () => 0.6505,
      ...(tangent === undefined ? {} : { tangent: async () => tangent }),
    }, 2.502318);
    expect(await verdicts([ball(2.50216)])).toEqual(['FAIL']);
    // without the trajectory's derivative the spread still decides
    expect(await verdicts([ball()])).toEqual(['f32']);
    // a fuzzed OBJ cloth in free fall, materials[0].mu: float32 moved the trajectory's derivative
    // (-5.2e-8 along the GPU's states against 9.2e-6), so the spread may be the forward's: f32
    const [cloth] = await judgeChecks([entry({
      block: 'mu', entries: 1, analytic: -2.7297e-7, numeric: 9.1942e-6, spread: async () => 4.71e-5, tangent: async () => -5.20357e-8,
    }, 9.1683e-6)], TOL);
    expect([cloth.verdict, cloth.tangent, cloth.spread]).toEqual(['f32', -5.20357e-8, 4.71e-5]);
    // a fuzzed OBJ cloth's materials[0].bending, 1e-7 where the report's largest derivative is 307:
    // the path agrees with the difference, and a spread under NOISE_FLOOR of 307 is rounding
    const bending = entry({
      block: 'kb', entries: 1, analytic: 8.6176e-8, numeric: -6.0479e-8, spread: async () => 4.5668e-7, tangent: async () => -1.1e-7,
    }, -1.1069e-7);
    const big = entry({ block: 'x0', param: 'x0@gradient', analytic: 306.86, numeric: 306.86 });
    expect(await verdicts([bending, big])).toEqual(['f32', 'ok']);
  });

  it('a step too coarse for the curvature: the check passes when the finer step agrees with the analytic value', async () => {
    const [e] = await judgeChecks([entry({ analytic: 1, numeric: 1.05 }, 1.003)], TOL);
    expect([e.verdict, e.numericFiner]).toEqual(['ok', 1.003]);
    expect(e.relError).toBeCloseTo(0.003 / 1.003, 12);
  });
});
