// What the loss tests share: batch copies made to differ, and the float64 reference's view of a
// simulator (src/core/loss-reference.ts).
import type { LossRefContext } from '../../src/core/loss-reference';
import { positionField, type Simulator } from '../../src/core/simulator';

/** The initial state with copy b's positions shifted by (b + 1) shift along axis 0 and jittered, so the copies differ. */
export function perturbed(sim: Simulator, shift: number): Float32Array {
  const { items, stride } = sim.state, xo = positionField(sim.state).offset;
  const s = sim.state0.slice();
  for (let b = 0; b < sim.batch; b++) {
    for (let i = 0; i < items; i++) {
      const o = (b * items + i) * stride + xo;
      s[o] += (b + 1) * shift;
      for (let d = 0; d < sim.dim; d++) s[o + d] += 0.01 * Math.sin(7 * o + d + b);
    }
  }
  return s;
}

/** The reference's context for every batch copy of sim (extra: a duration, goals). */
export function refContext(sim: Simulator, extra: Partial<LossRefContext> = {}): LossRefContext {
  return {
    dim: sim.dim, batch: sim.batch, items: sim.state.items, stride: sim.state.stride, xoff: positionField(sim.state).offset,
    state0: sim.state0, selection: (g) => sim.selection(g), ...extra,
  };
}
