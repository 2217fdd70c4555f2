// The benchmark's gradient/forward on the GPU clock (src/bench/gradient-ratio.ts): the forward
// rollout it interleaves runs on its own simulator, so the measured gradient is the one an
// uninstrumented rollout gives, to the bit, and the figure is a real ratio of timed passes.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { readF32 } from '../../src/gpu/buffers';
import { interleavedGradientRatio } from '../../src/bench/gradient-ratio';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu({ optionalFeatures: ['timestamp-query'] }); });
afterAll(() => gpu?.destroy());

test('interleaved gradient/forward: timed passes, and the gradient of an uninstrumented rollout', async () => {
  expect(gpu.device.features.has('timestamp-query'), 'lavapipe offers timestamp-query').toBe(true);
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastoplastic', actuated: true }));
  const T = 40;
  const gFinal = sim.createState('g', new Float32Array(sim.stateFloats).map((_, i) => Math.sin(i)));
  const r = new Rollout(sim, T, 'auto');
  r.stepsPerSubmit = 8; // several submits, so that forward chunks go between them
  await r.forward();
  const plain = await readF32(gpu.device, await r.backward(gFinal));
  const m = await interleavedGradientRatio(r, gFinal);
  expect(m).not.toBeNull();
  const timed = await readF32(gpu.device, m!.gradient);
  console.log(`T = ${T}: gradient/forward ${m!.ratio.toFixed(2)}, forward ${(1e3 * m!.forwardSeconds).toFixed(1)} ms of GPU time`);
  expect(m!.forwardSeconds).toBeGreaterThan(0);
  // a gradient is a forward, a recompute and as many step adjoints: more than one forward (on a
  // CPU driver other test files running beside this one share the cores, so no tighter bound)
  expect(m!.ratio).toBeGreaterThan(1);
  expect(m!.ratio).toBeLessThan(20);
  expect(Buffer.from(timed.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
  expect(r.queue.pass('x').timestampWrites, 'the plain queue is back').toBeUndefined();
  r.destroy();
  gFinal.destroy();
  sim.destroy();
});
