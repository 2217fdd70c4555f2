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

test('too many particles for a buffer, or for the dispatch rows, are refused; more than one row is not', () => {
  const scene = tinyScene({ dim: 2, material: 'elastic' });
  const n = scene.particles.group.length;
  expect(() => checkDeviceLimits(scene, 1, { maxStorageBufferBindingSize: n * 12 * 4 - 4, maxBufferSize: 2 ** 40 }))
    .toThrow(/scene\.particles = .* allowed at most \d+ bytes per buffer on this device/);
  const big = { maxStorageBufferBindingSize: 2 ** 40, maxBufferSize: 2 ** 40 };
  // rows of `limit` workgroups of 64, at most `limit` rows (params.wgsl): the 1225 particles of
  // this block need 20 workgroups, 4 rows of 5 at a limit of 5, and 4 x 4 are too few (the node
  // dispatch of the 32^2 grid, 4 x 4, fits either limit)
  const block = tinyScene({ dim: 2, material: 'elastic', lo: 0.2, hi: 0.75 });
  expect(block.particles.group.length).toBe(1225);
  expect(() => checkDeviceLimits(block, 1, { ...big, maxComputeWorkgroupsPerDimension: 5 })).not.toThrow();
  expect(() => checkDeviceLimits(block, 1, { ...big, maxComputeWorkgroupsPerDimension: 4 }))
    .toThrow(/scene\.particles = 1225 particles is out of range: allowed at most 1024 per batch copy on this device \(4 x 4 workgroups of 64\)/);
  expect(() => checkDeviceLimits(scene, 4096, { ...big, maxComputeWorkgroupsPerDimension: 1024 }))
    .toThrow(/batch = 4096 copies: allowed at most 1024 on this device/);
  expect(() => checkDeviceLimits(scene, 1, gpu.limits)).not.toThrow();
  // p2g's run order keys (p2g.wgsl) hold node * 4 in 2D
  const huge = { ...scene, grid: { ...scene.grid, res: [65536, 16385] } };
  expect(() => checkDeviceLimits(huge, 1, { ...big, maxComputeWorkgroupsPerDimension: 2 ** 20 }))
    .toThrow(/scene\.grid\.res = \[65536, 16385\] \(1073807360 nodes\) .*allowed at most 1073741824 nodes per batch copy/);
});

test('the adjoint\'s node buffers are checked too: per-node collider gradients outgrow the grid', () => {
  const one = tinyScene({ dim: 3, material: 'elastic', collider: true });
  const scene = { ...one, colliders: [one.colliders[0], one.colliders[0]] };
  const nodes = 16 ** 3;
  // the accumulator holds 13 words per node in 3D (7, then dL/dv's 6 in a step adjoint); g_col_node
  // 13 per node per collider
  const limits = { maxStorageBufferBindingSize: nodes * 16 * 4, maxBufferSize: 2 ** 40 };
  expect(() => checkDeviceLimits({ ...scene, colliders: [] }, 1, limits)).not.toThrow();
  expect(() => checkDeviceLimits(scene, 1, limits))
    .toThrow(/scene\.grid\.res = \[16, 16, 16\] x 1 copies with 2 colliders \(425984 bytes of per-node collider gradients\)/);
});

test('a scene ten million particles deep passes the dispatch checks (only memory bounds it)', () => {
  // the particles themselves are not made: checkDeviceLimits reads only their count
  const scene = tinyScene({ dim: 3, material: 'elastic' });
  const n = 10_000_000;
  const many = { ...scene, particles: { ...scene.particles, group: { length: n } as unknown as number[] } };
  const device = { maxStorageBufferBindingSize: 2 ** 32 - 4, maxBufferSize: 2 ** 40, maxComputeWorkgroupsPerDimension: 65535 };
  expect(() => checkDeviceLimits(many, 1, device)).not.toThrow();
  // 96 bytes of state per 3D particle: a 4 GiB binding holds 44.7 million
  const tooMany = { ...many, particles: { ...scene.particles, group: { length: 45_000_000 } as unknown as number[] } };
  expect(() => checkDeviceLimits(tooMany, 1, device)).toThrow(/scene\.particles = 45000000 particles x 1 copies \(4320000000 bytes of state\)/);
});
