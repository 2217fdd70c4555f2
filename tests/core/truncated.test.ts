// Truncated backpropagation through time: a backward over the last W steps of a rollout gives the
// per-step control gradients of those steps exactly as the whole backward does (the adjoint from
// T back to t is the same computation), and none for the steps before; checkpointed or not.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32 } from '../../src/gpu/buffers';
import { Rollout } from '../../src/core/rollout';
import { createSimulator } from '../../src/simulators';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('a window of W steps: the last W actuation rows as the whole backward gives them, zeros before', async () => {
  const T = 40, W = 13;
  const sim = await createSimulator(gpu, chain2d({ steps: T }));
  const act = sim.params.blocks.find((b) => b.name === 'actuation')!;
  const A = act.rowLength;
  const g = sim.createState('g', new Float32Array(sim.stateBytes / 4).map((_, i) => Math.sin(i)));
  try {
    for (const mode of ['full', 'auto'] as const) {
      const r = new Rollout(sim, T, mode);
      await r.forward();
      await r.backward(g);
      const whole = sim.params.unpack(await readF32(gpu.device, sim.paramGrad), 0);
      await r.forward();
      await r.backward(g, { window: W });
      const cut = sim.params.unpack(await readF32(gpu.device, sim.paramGrad), 0);
      for (let t = 0; t < T; t++) for (let c = 0; c < A; c++) {
        const i = act.indices[t * A + c];
        expect(cut[i], `${mode} row ${t}`).toBe(t >= T - W ? whole[i] : 0);
      }
      expect(whole.some((x, i) => x !== 0 && act.indices.indexOf(i) >= 0 && act.indices.indexOf(i) < (T - W) * A)).toBe(true);
      // a window as long as the rollout is the whole backward
      await r.forward();
      await r.backward(g, { window: T });
      expect(sim.params.unpack(await readF32(gpu.device, sim.paramGrad), 0)).toEqual(whole);
      await expect(r.forward().then(() => r.backward(g, { window: 0 }))).rejects.toThrow(/window = 0: allowed an integer >= 1/);
      r.destroy();
    }
  } finally {
    g.destroy();
    sim.destroy();
  }
});
