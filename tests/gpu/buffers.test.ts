import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { DEFAULT_USAGE, clearBuffer, createBuffer, readBuffer, readF32, readI32, readU32, writeBuffer } from '../../src/gpu/buffers';

let ctx: GpuContext;
let device: GPUDevice;
beforeAll(async () => { ctx = await requestGpu(); device = ctx.device; });
afterAll(async () => { await ctx?.checkErrors(); ctx?.destroy(); });

describe('createBuffer', () => {
  it('rounds the size up to a multiple of 4, at least 16, and keeps the label', () => {
    expect(createBuffer(device, 'test.zero', 0).size).toBe(16);
    expect(createBuffer(device, 'test.five', 5).size).toBe(16);
    expect(createBuffer(device, 'test.odd', 17).size).toBe(20);
    const b = createBuffer(device, 'test.big', 4096);
    expect(b.size).toBe(4096);
    expect(b.label).toBe('test.big');
    expect(b.usage).toBe(DEFAULT_USAGE);
    expect(DEFAULT_USAGE).toBe(GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  });

  it('uploads init data', async () => {
    const data = new Float32Array([1.5, -2, 3.25, 1e-30, 7]);
    const b = createBuffer(device, 'test.init', data.byteLength, undefined, data);
    expect(Array.from(await readF32(device, b, 0, 5))).toEqual(Array.from(data));
  });

  it('refuses init data larger than the buffer and negative sizes, naming the buffer', () => {
    expect(() => createBuffer(device, 'test.small', 8, undefined, new Float32Array(8))).toThrow(/'test\.small'.*32 bytes/);
    expect(() => createBuffer(device, 'test.neg', -4)).toThrow(/'test\.neg'/);
  });
});

describe('writeBuffer and typed read-backs', () => {
  it('writes at a byte offset and reads back element ranges', async () => {
    const b = createBuffer(device, 'test.rw', 64);
    writeBuffer(device, b, new Uint32Array([7, 8, 9]), 8);
    expect(Array.from(await readU32(device, b, 2, 3))).toEqual([7, 8, 9]);
    expect(Array.from(await readU32(device, b, 0, 2))).toEqual([0, 0]);
    writeBuffer(device, b, new Int32Array([-1, -2147483648]).buffer, 0);
    expect(Array.from(await readI32(device, b, 0, 2))).toEqual([-1, -2147483648]);
    expect((await readBuffer(device, b)).byteLength).toBe(64);
    expect((await readF32(device, b, 14)).length).toBe(2); // to the end
  });

  it('writes from a view into a larger array (respects byteOffset)', async () => {
    const backing = new Float32Array([100, 1, 2, 3, 200]);
    const b = createBuffer(device, 'test.view', 12);
    writeBuffer(device, b, backing.subarray(1, 4));
    expect(Array.from(await readF32(device, b, 0, 3))).toEqual([1, 2, 3]);
  });

  it('rejects misaligned or out-of-range accesses with the buffer label', async () => {
    const b = createBuffer(device, 'test.bounds', 16);
    expect(() => writeBuffer(device, b, new Uint8Array(3))).toThrow(/'test\.bounds'.*multiples of 4/);
    expect(() => writeBuffer(device, b, new Uint32Array(4), 4)).toThrow(/'test\.bounds'.*overrun/);
    await expect(readBuffer(device, b, 8, 16)).rejects.toThrow(/'test\.bounds'/);
    await expect(readF32(device, b, 5)).rejects.toThrow(RangeError);
  });
});

describe('clearBuffer', () => {
  it('zeroes a byte range and leaves the rest', async () => {
    const b = createBuffer(device, 'test.clear', 32, undefined, new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const enc = device.createCommandEncoder({ label: 'test.clear.enc' });
    clearBuffer(enc, b, 8, 12);
    device.queue.submit([enc.finish()]);
    expect(Array.from(await readU32(device, b))).toEqual([1, 2, 0, 0, 0, 6, 7, 8]);
    const enc2 = device.createCommandEncoder({ label: 'test.clear.enc2' });
    clearBuffer(enc2, b, 16);
    device.queue.submit([enc2.finish()]);
    expect(Array.from(await readU32(device, b))).toEqual([1, 2, 0, 0, 0, 0, 0, 0]);
  });
});
