// A gradient-check subject that remembers what it computed, for tests that check one subject several
// times (honest, then with one block of its adjoint made wrong): the reruns ask for the same float64
// rollouts and the same GPU adjoints, which are deterministic, so each is computed once. What the
// check does with them (directions, verdicts) still runs every time.
import { createHash } from 'node:crypto';
import type { GradcheckSubject } from '../../src/core/gradcheck';

type Gradient = { gState: Float32Array; gCtrl: Float32Array };

const key = (steps: number, ...arrays: ArrayBufferView[]) => {
  const h = createHash('sha256').update(String(steps));
  for (const a of arrays) h.update('\0').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
};

/** `subject` with its reference rollouts and GPU adjoints cached; every call returns a fresh copy. */
export function memoSubject(subject: GradcheckSubject): GradcheckSubject {
  const finals = new Map<string, Promise<Float64Array>>();
  const gradients = new Map<string, Promise<Gradient>>();
  return {
    ...subject,
    async referenceFinal(s, c, steps) {
      const k = key(steps, s, c);
      if (!finals.has(k)) finals.set(k, Promise.resolve(subject.referenceFinal(s, c, steps)).then((f) => Float64Array.from(f)));
      return Float64Array.from(await finals.get(k)!);
    },
    async gpuGradient(w, steps, jitter) {
      const k = key(steps, w, Float64Array.of(jitter ?? NaN));
      if (!gradients.has(k)) gradients.set(k, subject.gpuGradient(w, steps, jitter).then((g) => ({ gState: Float32Array.from(g.gState), gCtrl: Float32Array.from(g.gCtrl) })));
      const g = await gradients.get(k)!;
      return { gState: Float32Array.from(g.gState), gCtrl: Float32Array.from(g.gCtrl) };
    },
  };
}
