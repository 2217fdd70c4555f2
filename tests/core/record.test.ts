// recordFrames (src/core/record.ts): a frame may span many steps (`torsion run --every K`, or its
// default of a hundredth of the run), but the GPU may not be handed them all at once: Dawn on
// lavapipe crashed the process (a segmentation fault) with some 60,000 steps of a 12-vertex robot
// in flight (`torsion run --steps 100000 --every 100000`). A frame goes in bounded command buffers,
// with a wait every STEPS_PER_WAIT steps.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSimulator, recordFrames, requestGpu, type GpuContext } from '../../src/index';
import { RECORD_STEPS_PER_SUBMIT } from '../../src/core/record';
import { STEPS_PER_WAIT } from '../../src/core/rollout';
import { chain2d } from '../helpers/spring-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('a long frame is submitted in bounded command buffers with waits between, with the same bytes as a frame per step', async () => {
  const T = 2 * STEPS_PER_WAIT + 100;
  const sim = await createSimulator(gpu, chain2d({ steps: 60 }));
  const queue = sim.device.queue, pacer = sim.gpu.pacer;
  const submit = queue.submit.bind(queue), idle = pacer.idle.bind(pacer);
  let submits = 0, waits = 0;
  queue.submit = (buffers) => { submits++; submit(buffers); };
  pacer.idle = () => { waits++; return idle(); };
  try {
    const long = await recordFrames(sim, T, T);
    expect(submits).toBeGreaterThanOrEqual(Math.ceil(T / RECORD_STEPS_PER_SUBMIT));
    expect(waits).toBeGreaterThanOrEqual(2);
    const short = await recordFrames(sim, T, 1000);
    expect(Buffer.from(long.final.buffer).equals(Buffer.from(short.final.buffer))).toBe(true);
    expect(Buffer.from(long.frames[1].buffer).equals(Buffer.from(short.frames.at(-1)!.buffer))).toBe(true);
  } finally {
    queue.submit = submit;
    pacer.idle = idle;
    sim.destroy();
  }
});

test('steps and every that are not whole numbers >= 1 are refused by name (every = 0 looped forever)', async () => {
  const sim = await createSimulator(gpu, chain2d({ steps: 60 }));
  try {
    await expect(recordFrames(sim, 10, 0)).rejects.toThrow('recordFrames: every = 0: allowed an integer >= 1 (steps per frame)');
    await expect(recordFrames(sim, 10, 2.5)).rejects.toThrow('recordFrames: every = 2.5: allowed an integer >= 1');
    await expect(recordFrames(sim, 10, NaN)).rejects.toThrow('recordFrames: every = NaN: allowed an integer >= 1');
    await expect(recordFrames(sim, -1, 1)).rejects.toThrow('recordFrames: steps = -1: allowed an integer >= 1');
    await expect(recordFrames(sim, 0, 1)).rejects.toThrow('recordFrames: steps = 0: allowed an integer >= 1');
    // state0 as Rollout.forward checks it: a NaN used to run on (a blow-up at step 0 in the status)
    const bad = sim.state0.slice();
    bad[sim.state.stride + 1] = NaN;
    await expect(recordFrames(sim, 10, 5, bad)).rejects.toThrow(`recordFrames: state0[${sim.state.stride + 1}] = NaN (copy 0, item 1, field x[1]) is not finite`);
    await expect(recordFrames(sim, 10, 5, new Float32Array(3))).rejects.toThrow(`recordFrames: state0: 3 floats, expected ${sim.stateBytes / 4}`);
    await expect(recordFrames(sim, 10, 5, Float64Array.from(sim.state0) as unknown as Float32Array)).rejects.toThrow('recordFrames: state0 is a Float64Array: allowed a Float32Array');
    // the simulator is as it was
    expect((await recordFrames(sim, 10, 5)).frames.length).toBe(3);
  } finally {
    sim.destroy();
  }
});
