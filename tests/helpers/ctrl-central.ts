// One control entry's adjoint against central differences of the float64 reference: the GPU's
// dL/d(controls) of a random linear loss of the final state, and that loss of the reference's
// rollout with one entry moved, for the tests that probe a single collider step.
import type { GradcheckSubject } from '../../src/core/gradcheck';
import { rng } from '../../src/core/finite-diff';

export async function ctrlEntryProbe(subject: GradcheckSubject, steps: number): Promise<{ gCtrl: Float32Array; loss: (i: number, h: number) => Promise<number> }> {
  const rand = rng(1);
  const weights = new Float64Array(subject.state0.length).map(() => rand() - 0.5);
  const { gCtrl } = await subject.gpuGradient(weights, steps);
  const loss = async (i: number, h: number) => {
    const c = Float64Array.from(subject.ctrl);
    c[i] += h;
    const fin = await subject.referenceFinal(subject.state0, c, steps);
    return fin.reduce((a, x, k) => a + x * weights[k], 0);
  };
  return { gCtrl, loss };
}
