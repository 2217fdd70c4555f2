// The benchmark's step adjoint/forward on the GPU clock (src/bench/adjoint-ratio.ts) times its
// passes with the PassTimer the gradient ratio uses: one timestamp mechanism, read pass by pass.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { PassTimer } from '../../src/gpu/pass-timer';
import { MpmSim } from '../../src/mpm/simulator';
import { adjointStepRatio } from '../../src/bench/adjoint-ratio';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu({ optionalFeatures: ['timestamp-query'] }); });
afterAll(() => gpu?.destroy());

test('PassTimer: each pass\'s reading in the order made, and the totals their sums per tag', async () => {
  expect(gpu.device.features.has('timestamp-query'), 'lavapipe offers timestamp-query').toBe(true);
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic' }));
  const a = sim.createState('a', sim.packed.state0), b = sim.createState('b');
  sim.ensureSteps(1);
  const timer = new PassTimer(gpu.device, 8);
  const enc = gpu.device.createCommandEncoder();
  // one step, then a hundred ('many'): the second pass must read longer than the shorter of the others (ten
  // steps once read 1.2 ms against 3.3 ms for both single steps, the machine busy with other tests:
  // a pass's reading includes the time its thread was off the core)
  const tags = ['one', 'many', 'one'];
  for (const tag of tags) {
    const pass = enc.beginComputePass(timer.pass(`test.${tag}`, tag));
    for (let k = 0; k < (tag === 'many' ? 100 : 1); k++) sim.encodeStep(pass, a, b, 0);
    pass.end();
  }
  gpu.device.queue.submit([enc.finish()]);
  const r = await timer.collect();
  expect(r.map((x) => x.tag)).toEqual(tags);
  expect(r.every((x) => x.seconds > 0)).toBe(true);
  expect(r[1].seconds).toBeGreaterThan(Math.min(r[0].seconds, r[2].seconds));
  expect(timer.total('one')).toBe(r[0].seconds + r[2].seconds);
  expect(timer.total('many')).toBe(r[1].seconds);
  expect(await timer.collect()).toEqual([]); // nothing new since
  timer.destroy();
  a.destroy(); b.destroy();
  sim.destroy();
});

test('adjointStepRatio: the median of timed forward/adjoint pairs, a step adjoint costing more than a step', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastoplastic', actuated: true }));
  const start = sim.createState('start', sim.packed.state0);
  // Several steps per pass: a pass of one tiny step can read a single tick of lavapipe's clock on a
  // loaded machine, and then forward and adjoint read the same.
  const ratio = await adjointStepRatio(sim, start, { pairs: 5, rounds: 2, perPass: 24 });
  console.log(`step adjoint / step on the GPU clock: ${ratio?.toFixed(2)}`);
  expect(ratio).not.toBeNull();
  expect(ratio!).toBeGreaterThan(1);
  expect(ratio!).toBeLessThan(20);
  await gpu.checkErrors();
  start.destroy();
  sim.destroy();
});
