// A scene this device cannot hold is refused before any buffer is made, naming field, size and limit.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { checkDeviceLimits, MpmSim } from '../../src/mpm/simulator';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

test('a grid larger than the device allows is refused with the device limit named', async () => {
  const scene = tinyScene({ dim: 3, material: 'elastic' });
  const side = Math.ceil(Math.cbrt(gpu.limits.maxStorageBufferBindingSize / (7 * 4))) + 8;
  scene.grid.res = [side, side, side];
  await expect(MpmSim.create(gpu, scene)).rejects.toThrow(new RegExp(`scene\\.grid\\.res = \\[${side}, ${side}, ${side}\\] .* allowed at most ${gpu.limits.maxStorageBufferBindingSize} bytes per buffer on this device`));
  await gpu.checkErrors(); // nothing reached the GPU
});

test('too many particles for one dispatch, or for a buffer, are refused', () => {
  const scene = tinyScene({ dim: 2, material: 'elastic' });
  const n = scene.particles.group.length;
  expect(() => checkDeviceLimits(scene, 1, { maxStorageBufferBindingSize: n * 12 * 4 - 4, maxBufferSize: 2 ** 40 }))
    .toThrow(/scene\.particles = .* allowed at most \d+ bytes per buffer on this device/);
  const big = { maxStorageBufferBindingSize: 2 ** 40, maxBufferSize: 2 ** 40 };
  expect(() => checkDeviceLimits(scene, 1, { ...big, maxComputeWorkgroupsPerDimension: Math.floor(n / 64) - 1 }))
    .toThrow(new RegExp(`scene\\.particles = ${n} particles is out of range: allowed at most \\d+ per batch copy`));
  expect(() => checkDeviceLimits(scene, 4096, { ...big, maxComputeWorkgroupsPerDimension: 1024 }))
    .toThrow(/batch = 4096 copies: allowed at most 1024 on this device/);
  expect(() => checkDeviceLimits(scene, 1, gpu.limits)).not.toThrow();
  // p2g's run order keys (p2g.wgsl) hold node * 4 in 2D
  const huge = { ...scene, grid: { ...scene.grid, res: [65536, 16385] } };
  expect(() => checkDeviceLimits(huge, 1, { ...big, maxComputeWorkgroupsPerDimension: 2 ** 20 }))
    .toThrow(/scene\.grid\.res = \[65536, 16385\] \(1073807360 nodes\) .*allowed at most 1073741824 nodes per batch copy/);
});
