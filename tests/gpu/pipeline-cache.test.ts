import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createBuffer, readU32 } from '../../src/gpu/buffers';
import { PipelineCache, ShaderCompileError } from '../../src/gpu/pipeline-cache';

let ctx: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { ctx = await requestGpu(); cache = new PipelineCache(ctx.device); });
afterAll(() => ctx?.destroy());

// out[i] = in[i] * k + offset.k, with k from a uniform at a dynamic offset.
const SCALE = /* wgsl */ `
struct Params { n: u32, k: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.n) { return; }
  dst[id.x] = src[id.x] * params.k;
}
`;

// Line 4 assigns a float to an i32: the error must point at `broken.kernel:4`.
const BROKEN = `@group(0) @binding(0) var<storage, read_write> dst: array<i32>;
@compute @workgroup_size(1)
fn main() {
  let x: i32 = 1.5;
  dst[0] = x;
}
`;

describe('PipelineCache', () => {
  it('compiles once per label, entry point and code', async () => {
    const a = await cache.computeAsync('test.scale', SCALE, ['uniform-dynamic', 'read', 'rw']);
    expect(cache.compute('test.scale', SCALE, ['uniform-dynamic', 'read', 'rw'])).toBe(a);
    expect(cache.compute('test.scale', SCALE + '\n', ['uniform-dynamic', 'read', 'rw'])).not.toBe(a);
    expect(cache.compute('test.scale2', SCALE, ['uniform-dynamic', 'read', 'rw']).layout).toBe(a.layout); // layouts shared
    await cache.ready();
  });

  it('runs a kernel with a dynamic-offset uniform, read input and rw output', async () => {
    const { device } = ctx;
    const k = cache.compute('test.scale', SCALE, ['uniform-dynamic', 'read', 'rw']);
    const params = createBuffer(device, 'test.params', 512, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      new Uint32Array([...[4, 3], ...new Array(62).fill(0), ...[4, 10]]));
    const src = createBuffer(device, 'test.src', 16, undefined, new Uint32Array([1, 2, 3, 4]));
    const dst = createBuffer(device, 'test.dst', 32);
    const group = cache.bindGroup('test.scale.bind', k.layout, [{ buffer: params, size: 8 }, src, { buffer: dst, offset: 0, size: 16 }]);
    const enc = device.createCommandEncoder({ label: 'test.enc' });
    const pass = enc.beginComputePass({ label: 'test.pass' });
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, group, [256]); // the second params slot: k = 10
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
    expect(Array.from(await readU32(device, dst, 0, 4))).toEqual([10, 20, 30, 40]);
    await ctx.checkErrors();
  });

  it('turns a WGSL mistake into an error that names the label and the line', async () => {
    const err = await cache.computeAsync('broken.kernel', BROKEN, ['rw']).catch((e) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect(err.message).toMatch(/broken\.kernel:4:\d+ error: .*i32/);
    expect(err.message).toContain('let x: i32 = 1.5;'); // the source line is quoted
    await expect(cache.ready()).rejects.toThrow(/broken\.kernel:4/);
    expect(ctx.errors).toEqual([]); // reported through the cache, not as a bare uncaptured error
  });

  it('reports a missing entry point with the label', async () => {
    await expect(cache.computeAsync('test.no_entry', SCALE, ['uniform', 'read', 'rw'], 'nope'))
      .rejects.toThrow(/test\.no_entry.*nope/s);
  });
});
