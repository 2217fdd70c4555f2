// The GPU pacer (src/gpu/pacer.ts): idle() must not resolve before the submitted work has run,
// whatever it predicted, and its estimates must follow the work.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { readF32, writeBuffer } from '../../src/gpu/buffers';
import { GpuPacer } from '../../src/gpu/pacer';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

/** Submits `steps` forward steps from state a (ping-pong with b) and tells the pacer they are `units` of `kind`. */
function submitSteps(sim: MpmSim, a: GPUBuffer, b: GPUBuffer, steps: number, kind: string, units = steps): void {
  const enc = gpu.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (let k = 0; k < steps; k++) sim.encodeStep(pass, k % 2 ? b : a, k % 2 ? a : b, k);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
  gpu.pacer.submitted(kind, units);
}

test('idle() resolves after the work, however wrong its estimate; estimates are learned per kind and follow shorter runs', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', seed: 3 }));
  sim.ensureSteps(41);
  const a = sim.createState('a', sim.packed.state0), b = sim.createState('b');
  // The reference: 40 steps, awaited directly.
  const roll = new Rollout(sim, 40, 'full');
  await roll.forward();
  const want = await readF32(gpu.device, roll.final.buf);
  roll.destroy();
  const kind = 'test.steps';
  expect(gpu.pacer.estimate(kind)).toBeUndefined();
  const seen: number[] = [];
  for (let r = 0; r < 4; r++) {
    await gpu.pacer.idle();
    writeBuffer(gpu.device, a, sim.packed.state0);
    submitSteps(sim, a, b, 40, kind);
    await gpu.pacer.idle();
    // Read without waiting on anything else: the state must already be the 40th.
    expect(await readF32(gpu.device, a)).toEqual(want);
    seen.push(gpu.pacer.estimate(kind)!);
  }
  expect(seen.every((ms) => ms > 0 && Number.isFinite(ms))).toBe(true);
  // A wildly long estimate (100x, as a stalled machine could leave) costs one oversleep; the next
  // wait measures the work afresh and the estimate is back.
  (gpu.pacer as unknown as { ms: Map<string, number> }).ms.set(kind, 100 * seen[3]);
  const after: number[] = [];
  for (let r = 0; r < 2; r++) {
    submitSteps(sim, a, b, 10, kind);
    await gpu.pacer.idle();
    after.push(gpu.pacer.estimate(kind)!);
  }
  console.log(`estimates per step: ${seen.map((ms) => ms.toFixed(2)).join(', ')} ms; after a 100x guess: ${after.map((ms) => ms.toFixed(2)).join(', ')}`);
  expect(after[0]).toBeLessThanOrEqual(50 * seen[3]); // halved after the oversleep
  // back within an order of magnitude of the 40-step runs' per-step time: a 10-step run carries the
  // same fixed cost per submit over fewer steps, and a busy machine adds to it (seen: 2.6 against 0.34)
  expect(after[1]).toBeLessThan(20 * Math.max(...seen));
  a.destroy(); b.destroy();
  sim.destroy();
});

test("a kind's first wait (which holds its pipelines' compilation) is not slept on: the next wait measures afresh", async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', seed: 4 }));
  sim.ensureSteps(81);
  const a = sim.createState('a', sim.packed.state0), b = sim.createState('b');
  const kind = 'test.first-wait';
  // a first wait 80 times longer than its units' work, as a cold compile makes it
  submitSteps(sim, a, b, 80, kind, 1);
  await gpu.pacer.idle();
  const first = gpu.pacer.estimate(kind)!;
  submitSteps(sim, a, b, 1, kind);
  const t0 = performance.now();
  await gpu.pacer.idle();
  const waited = performance.now() - t0;
  const second = gpu.pacer.estimate(kind)!;
  console.log(`first wait ${first.toFixed(2)} ms per unit; the next: waited ${waited.toFixed(2)} ms, estimate ${second.toFixed(2)} ms`);
  // slept on, the second wait would take 0.7 of the first and leave half of it as the estimate
  expect(second).toBeLessThan(0.45 * first);
  a.destroy(); b.destroy();
  sim.destroy();
});

test('a first wait that runs long tells slowFirstWait once per process (the CLI explains first-use compilation)', async () => {
  const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', seed: 5 }));
  sim.ensureSteps(81);
  const a = sim.createState('a', sim.packed.state0), b = sim.createState('b');
  let told = 0;
  GpuPacer.slowFirstWait = { afterMs: 1, notify: () => { told++; } };
  try {
    submitSteps(sim, a, b, 80, 'test.notice.a');
    await gpu.pacer.idle();
    expect(told).toBe(1);
    expect(GpuPacer.slowFirstWait).toBeNull();
    submitSteps(sim, a, b, 80, 'test.notice.b');
    await gpu.pacer.idle();
    expect(told).toBe(1);
  } finally {
    GpuPacer.slowFirstWait = null;
  }
  a.destroy(); b.destroy();
  sim.destroy();
});
