// mpm-walker-2d over 60 steps, seed 1: groups[2].E is a sum of per-step terms about 30x its size,
// and every float32 rollout (the adjoint's, and those rerun from states an ulp away) lies 3.3% from
// the float64 central difference, 3.7 measured spreads. The float64 derivative linearised at the
// GPU's own states (the subject's tangent) agrees with the adjoint to 0.25%: the adjoint is right
// for the rollout it differentiates, and the check says 'path'. The same adjoint 5% wrong fails.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { gradcheck } from '../../src/core/gradcheck';
import { mpmGradcheckSubject } from '../../src/mpm/gradcheck-subject';
import { packMpm } from '../../src/mpm/layout';
import { ctrlGroupIndex, refModel } from '../../src/mpm/reference/ref-model';
import { buildMpmScene } from '../../scenes/index';
import { memoSubject } from '../helpers/memo-subject';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('gradcheck mpm-walker-2d, 60 steps: a derivative float32 has moved is path; the same 5% wrong fails', async () => {
  const scene = buildMpmScene('mpm-walker-2d');
  const subject = memoSubject(await mpmGradcheckSubject(gpu, scene));
  const E2 = ctrlGroupIndex(refModel(packMpm(scene, 1)), 2, 'E');
  const o = { seed: 1, steps: 60 };
  try {
    const honest = await gradcheck(subject, o);
    const e = honest.checks.find((c) => c.param === 'groups[2].E')!;
    console.log(`walker 60 steps groups[2].E: ${e.verdict} analytic ${e.analytic.toExponential(5)} numeric ${e.numeric.toExponential(5)} path ${e.tangent?.toExponential(5)} spread ${e.spread?.toExponential(1)}`);
    expect(honest.checks.filter((c) => !c.ok).map((c) => c.param)).toEqual([]);
    expect(e.verdict).toBe('path');
    // far from the central difference, close to the derivative along the GPU's trajectory
    expect(e.relError).toBeGreaterThan(0.02);
    expect(Math.abs(e.tangent! - e.analytic)).toBeLessThan(0.005 * Math.abs(e.analytic));
    const wrong = await gradcheck({
      ...subject,
      gpuGradient: async (w, steps, jitter) => {
        const g = await subject.gpuGradient(w, steps, jitter);
        g.gCtrl[E2] *= 1.05;
        return g;
      },
    }, o);
    expect(wrong.checks.filter((c) => !c.ok).map((c) => c.param)).toEqual(['groups[2].E']);
  } finally {
    subject.destroy?.();
  }
}, 180_000);
