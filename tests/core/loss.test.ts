// The GPU losses against the same sums on the CPU: value, centre of mass and dL/dstate, per batch
// copy and for a group that is not the first, through the Simulator interface only.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { createLoss } from '../../src/core/loss';
import { positionField } from '../../src/core/simulator';
import { createSimulator } from '../../src/simulators';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

for (const dim of [2, 3] as const) {
  test(`${dim}D com-target: value, centre of mass and gradient of each batch copy match the CPU`, async () => {
    const scene = tinyScene({ dim, material: 'elastic', actuated: true });
    // heavier muscle, so that weighting by mass, not by count, shows
    scene.groups[1].density = 3;
    const B = 2;
    const sim = await createSimulator(gpu, scene, { batch: B });
    const { items, stride } = sim.state;
    const xo = positionField(sim.state).offset;
    const state = sim.state0.slice();
    for (let i = 0; i < state.length; i++) state[i] += 0.01 * Math.sin(i); // copies differ
    const buf = sim.createState('s', state);
    const target = [0.41, 0.37, 0.52].slice(0, dim);
    for (const group of [0, 1]) {
      const loss = await createLoss(sim, { kind: 'com-target', group, target });
      const got = await loss.evaluate(buf);
      const g = await readF32(gpu.device, loss.grad);
      const { start, count, weights } = sim.selection(group);
      expect(count).toBeGreaterThan(0);
      for (let b = 0; b < B; b++) {
        const c = new Float64Array(dim);
        let W = 0;
        for (let k = 0; k < count; k++) {
          W += weights[k];
          for (let d = 0; d < dim; d++) c[d] += weights[k] * state[(b * items + start + k) * stride + xo + d];
        }
        let L = 0;
        for (let d = 0; d < dim; d++) { c[d] /= W; L += (c[d] - target[d]) ** 2; }
        expect(got.values[b]).toBeCloseTo(L, 6);
        got.com[b].forEach((x, d) => expect(x).toBeCloseTo(c[d], 6));
        for (let k = 0; k < items; k++) {
          const inGroup = k >= start && k < start + count;
          for (let d = 0; d < dim; d++) {
            const want = inGroup ? (2 * (c[d] - target[d]) * weights[k - start]) / W : 0;
            expect(g[(b * items + k) * stride + xo + d]).toBeCloseTo(want, 6);
          }
        }
      }
      loss.destroy();
    }
    buf.destroy();
    sim.destroy();
  });
}
