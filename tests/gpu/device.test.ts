import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuError, NoAdapterError, requestGpu, withErrorScope, type GpuContext } from '../../src/gpu/device';

let ctx: GpuContext;
beforeAll(async () => { ctx = await requestGpu(); });
afterAll(() => ctx?.destroy());

describe('requestGpu', () => {
  it('gives a named device with the adapter maxima it asks for', async () => {
    expect(ctx.adapterName).not.toBe('unknown');
    expect(ctx.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    // The default is 128 MiB; asking for the adapter's maximum must not give less.
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(ctx.device.limits.maxBufferSize).toBe(ctx.limits.maxBufferSize);
  });

  it('records uncaptured validation errors and throws them from checkErrors', async () => {
    // MAP_READ may only be combined with COPY_DST: an invalid buffer, reported asynchronously.
    ctx.device.createBuffer({ label: 'test.bad_usage', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    await expect(ctx.checkErrors()).rejects.toThrow(/MapRead/);
    expect(ctx.errors).toEqual([]);
    await expect(ctx.checkErrors()).resolves.toBeUndefined();
  });

  it('refuses limits beyond the adapter and names the limit', async () => {
    await expect(requestGpu({ requiredLimits: { maxBindGroups: 1e9 } })).rejects.toThrow(/maxBindGroups = 1000000000/);
    await expect(requestGpu({ requiredLimits: { maxWarpDrive: 1 } })).rejects.toThrow(/unknown limit 'maxWarpDrive'/);
  });

  it('can hold two devices at once and drop them independently', async () => {
    const other = await requestGpu();
    expect(other.device).not.toBe(ctx.device);
    other.destroy();
    other.destroy(); // idempotent
    const buf = ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    buf.destroy();
    await ctx.checkErrors();
  });
});

describe('withErrorScope', () => {
  it('returns the value of clean work', async () => {
    await expect(withErrorScope(ctx.device, () => 42)).resolves.toBe(42);
  });

  it('throws a GpuError naming the work when validation fails', async () => {
    const bad = withErrorScope(ctx.device, () => {
      ctx.device.createBuffer({ label: 'scoped.bad', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    }, 'making scoped.bad');
    await expect(bad).rejects.toBeInstanceOf(GpuError);
    await expect(withErrorScope(ctx.device, () => {
      ctx.device.createBuffer({ label: 'scoped.bad', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    }, 'making scoped.bad')).rejects.toThrow(/making scoped\.bad.*\n.*MapRead/);
    expect(ctx.errors).toEqual([]); // caught by the scope, not by the uncaptured handler
  });

  it('rethrows what fn throws and leaves the scope stack balanced', async () => {
    await expect(withErrorScope(ctx.device, () => { throw new Error('boom'); })).rejects.toThrow('boom');
    // An unbalanced stack would make this pop fail or swallow the error below.
    ctx.device.pushErrorScope('validation');
    ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    expect(await ctx.device.popErrorScope()).not.toBeNull();
  });
});

// Runs a TypeScript fixture in a fresh Node process (with the Dawn V8 flag, see tests/setup).
function runFixture(name: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--max-opt=2', 'node_modules/vite-node/dist/cli.mjs', `tests/gpu/fixtures/${name}`],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

describe('NoAdapterError', () => {
  it('tells the user how to install lavapipe', () => {
    const msg = new NoAdapterError('requestAdapter() returned null').message;
    expect(msg).toMatch(/No WebGPU adapter/);
    expect(msg).toContain('Suites: bookworm-backports');
    expect(msg).toContain('apt-get install -y -t bookworm-backports mesa-vulkan-drivers');
    expect(msg).toContain('npm run setup');
  });

  it('is what requestGpu throws when Vulkan has no driver', () => {
    const r = runFixture('no-adapter.ts', { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NoAdapterError\nNo WebGPU adapter is available \(requestAdapter\(\) returned null\)/);
    expect(r.stdout).toContain('mesa-vulkan-drivers');
  });
});

describe('destroy', () => {
  it('lets a Node process exit once the device is destroyed', () => {
    // A process that still referenced Dawn would hang until the timeout kills it.
    const r = runFixture('destroy-exits.ts');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('destroyed');
  });
});
