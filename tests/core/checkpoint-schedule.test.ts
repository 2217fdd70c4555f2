// The checkpoint schedule of the rollout tape: segment bookkeeping, peak storage, recomputation,
// the memory promise of 'auto' for long rollouts, and errors for bad arguments. Pure host code,
// except one check that Rollout.memory() reports what the schedule promises.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planCheckpoints, type CheckpointMode } from '../../src/core/checkpoint-schedule';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { MpmSim } from '../../src/mpm/simulator';
import { Rollout } from '../../src/core/rollout';
import { tinyScene } from '../helpers/tiny-scenes';

/** 'auto' for 1000 steps stores at most this fraction of the full tape's T + 1 states. */
const AUTO_MEMORY_RATIO_1000 = 0.05;

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

describe.each([1, 2, 10, 1000])('planCheckpoints(%i, mode)', (T) => {
  test.each<CheckpointMode>(['auto', 'full', 32])('mode %s: segments tile [0, T), slots and recomputation add up', (mode) => {
    const s = planCheckpoints(T, mode);
    expect(s.mode).toBe(mode);
    expect(s.steps).toBe(T);
    expect(s.starts.length).toBe(s.lengths.length);
    expect(sum(s.lengths)).toBe(T);
    expect(s.lengths.every((L) => Number.isInteger(L) && L >= 1)).toBe(true);
    expect(s.starts[0]).toBe(0);
    for (let k = 1; k < s.starts.length; k++) expect(s.starts[k]).toBe(s.starts[k - 1] + s.lengths[k - 1]);
    // The adjoint of a step reads its input and its output state, so while segment k is reversed
    // checkpoints 0..k, the segment's end state and its L_k - 1 recomputed states are alive.
    expect(s.slots).toBe(mode === 'full' ? T + 1 : Math.max(...s.lengths.map((L, k) => k + 1 + L)));
    expect(s.recomputedSteps).toBe(mode === 'full' ? 0 : sum(s.lengths.map((L) => L - 1)));
    if (mode === 'full') {
      expect(s.lengths).toEqual([T]);
    } else if (mode === 'auto') {
      // The fewest buffers M with which each step is recomputed at most once: M(M-1)/2 >= T.
      const M = s.slots;
      expect((M * (M - 1)) / 2).toBeGreaterThanOrEqual(T);
      expect(((M - 1) * (M - 2)) / 2).toBeLessThan(T);
      // As many segments as M allows (a checkpoint is a state not recomputed), lengths never
      // increasing, L_k <= M - 1 - k: later segments reuse the slots of consumed checkpoints.
      expect(s.starts.length).toBe(M - 1);
      for (let k = 0; k < s.lengths.length; k++) {
        expect(s.lengths[k]).toBeLessThanOrEqual(M - 1 - k);
        if (k > 0) expect(s.lengths[k]).toBeLessThanOrEqual(s.lengths[k - 1]);
      }
      expect(s.recomputedSteps).toBe(T - (M - 1));
    } else {
      const K = mode as number;
      expect(s.lengths.slice(0, -1).every((L) => L === K)).toBe(true);
      expect(s.lengths[s.lengths.length - 1]).toBeLessThanOrEqual(K);
      expect(s.starts.length).toBe(Math.ceil(T / K));
    }
  });
});

test(`'auto' for 1000 steps keeps at most ${AUTO_MEMORY_RATIO_1000 * 100}% of the full tape`, () => {
  const T = 1000;
  const s = planCheckpoints(T, 'auto');
  const ratio = s.slots / (T + 1);
  console.log(`auto, T = ${T}: ${s.starts.length} segments, ${s.slots} slots, ratio ${ratio.toFixed(4)}, recomputed ${s.recomputedSteps} steps`);
  expect(s.slots).toBe(46); // 46 * 45 / 2 = 1035 >= 1000 > 45 * 44 / 2 = 990
  expect(s.recomputedSteps).toBe(955);
  expect(ratio).toBeLessThanOrEqual(AUTO_MEMORY_RATIO_1000);
  // Uniform checkpoints every 32 steps hold more: T / K + K states.
  expect(s.slots).toBeLessThan(planCheckpoints(T, 32).slots);
});

describe('bad arguments say what is allowed', () => {
  test.each([0, -1, 1.5, NaN, Infinity])('steps = %s', (T) => {
    expect(() => planCheckpoints(T, 'auto')).toThrow(RangeError);
    expect(() => planCheckpoints(T, 'auto')).toThrow(`steps = ${T}: allowed an integer >= 1`);
  });
  test.each<unknown>([0, -3, 2.5, NaN, 'sometimes', 'FULL', null])('mode = %s', (mode) => {
    const call = () => planCheckpoints(10, mode as CheckpointMode);
    expect(call).toThrow(RangeError);
    expect(call).toThrow(`checkpoint interval = ${String(mode)}: allowed an integer >= 1, 'auto' or 'full'`);
  });
});

describe('Rollout.memory() reports the schedule', () => {
  let gpu: GpuContext;
  beforeAll(async () => { gpu = await requestGpu(); });
  afterAll(() => gpu?.destroy());

  test.each<[number, CheckpointMode]>([[1000, 'auto'], [100, 'full'], [100, 32]])('T = %i, mode %s', async (T, mode) => {
    const sim = await MpmSim.create(gpu, tinyScene({ dim: 2, material: 'elastic', lo: 0.3, hi: 0.34 }));
    const roll = new Rollout(sim, T, mode);
    const s = roll.schedule;
    const mem = roll.memory();
    // The forward writes into the tape's slots: no other state buffers.
    const stored = s.slots;
    expect(mem.storedStates).toBe(stored);
    expect(mem.ratio).toBeCloseTo(stored / (T + 1), 12);
    expect(mem.tapeBytes).toBe(stored * sim.stateBytes);
    expect(mem.fullTapeBytes).toBe((T + 1) * sim.stateBytes);
    expect(mem.segments).toBe(s.starts.length);
    expect(mem.segmentLength).toBe(Math.max(...s.lengths));
    if (mode === 'full') expect(mem.ratio).toBe(1);
    if (mode === 'auto') expect(mem.ratio).toBeLessThanOrEqual(AUTO_MEMORY_RATIO_1000);
    roll.destroy();
    sim.destroy();
  });
});
