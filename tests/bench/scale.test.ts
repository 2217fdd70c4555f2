// `torsion bench scale`'s parts: the copy kernel it sets rows against, and rows sized to the device.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { copyBandwidth } from '../../src/bench/bandwidth';
import { scaleChoice, scaleSizes } from '../../scenes/bench-scenes';
import { checkDeviceLimits } from '../../src/mpm/simulator';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('copy kernel: covers its arrays (it checks their ends) and reports bytes read and written per second', async () => {
  const bw = await copyBandwidth(gpu, { maxBytes: 2 ** 20 + 1000, reps: 2, rounds: 1 });
  expect(bw.arrayBytes).toBe(2 ** 20); // whole workgroups of 256 vec4s
  expect(Number.isFinite(bw.bytesPerSec) && bw.bytesPerSec > 0).toBe(true);
});

test('scale rows: the largest size the device\'s limits hold; millions of particles where a GPU binds gigabytes', () => {
  const big = { ...gpu.limits, maxStorageBufferBindingSize: 2 ** 32 - 4, maxBufferSize: 2 ** 34 };
  expect(scaleChoice(big).map((c) => c.n)).toEqual([2048 * 2048, 104 * 56 * 96 * 8]);
  // lavapipe binds at most 128 MiB: smaller rows, each the largest that fits
  for (const [row, c] of scaleChoice(gpu.limits).entries()) {
    const sizes = scaleSizes()[row];
    const at = sizes.findIndex((s) => s.n === c.n);
    const shape = (s: typeof c) => ({ dim: s.dim, grid: { res: s.res }, particles: { group: { length: s.n } }, colliders: [] });
    expect(() => checkDeviceLimits(shape(c), 1, gpu.limits)).not.toThrow();
    if (at > 0) expect(() => checkDeviceLimits(shape(sizes[at - 1]), 1, gpu.limits)).toThrow(/bytes/);
  }
  // each size's count is what its builder makes (the smallest of each row, to keep this quick)
  for (const sizes of scaleSizes()) {
    const s = sizes[sizes.length - 1];
    expect(s.build().particles.group.length).toBe(s.n);
  }
});
