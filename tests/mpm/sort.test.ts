// The particle sort (src/mpm/sort.ts, sort.wgsl): the GPU's permutation is the CPU's stable sort
// by stencil base node, the gathered records are the input's moved whole, batch copies equal their
// own B = 1 sorts, unsort is its inverse bit for bit, and a sorted input sorts to the identity.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createBuffer, readF32, readU32 } from '../../src/gpu/buffers';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { baseKey, ParticleSorter, type SortShape } from '../../src/mpm/sort';
import { particleStride } from '../../src/mpm/layout';
import { rng } from '../../src/core/finite-diff';

let gpu: GpuContext;
let cache: PipelineCache;
beforeAll(async () => { gpu = await requestGpu(); cache = new PipelineCache(gpu.device); });
afterAll(() => gpu?.destroy());

/** Records of `batch` copies: random fields, positions over the grid and a little past its edges. */
function records(shape: SortShape, seed: number): Float32Array {
  const r = rng(seed);
  const s = particleStride(shape.dim);
  const out = new Float32Array(shape.batch * shape.n * s);
  for (let i = 0; i < shape.batch * shape.n; i++) {
    for (let w = 0; w < s; w++) out[i * s + w] = r() * 2 - 1;
    for (let d = 0; d < shape.dim; d++) out[i * s + d] = (r() * 1.04 - 0.02) * shape.res[d] * shape.dx;
  }
  return out;
}

async function sortOnGpu(sorter: ParticleSorter, data: Float32Array): Promise<{ perm: Uint32Array; out: Float32Array; back: Float32Array }> {
  const dev = gpu.device;
  const a = createBuffer(dev, 'test.sort.in', data.byteLength, undefined, data);
  const b = createBuffer(dev, 'test.sort.out', data.byteLength);
  const c = createBuffer(dev, 'test.sort.back', data.byteLength);
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  sorter.encodeSort(pass, a, b);
  sorter.encodeUnsort(pass, b, c);
  pass.end();
  dev.queue.submit([enc.finish()]);
  const res = { perm: await readU32(dev, sorter.perm), out: await readF32(dev, b), back: await readF32(dev, c) };
  for (const x of [a, b, c]) x.destroy();
  return res;
}

const shapes: [string, SortShape][] = [
  ['2D', { dim: 2, n: 1000, batch: 2, dx: 1 / 16, res: [16, 16] }],
  ['3D', { dim: 3, n: 777, batch: 2, dx: 1 / 8, res: [8, 6, 10] }],
];

describe.each(shapes)('%s particle sort', (_, shape) => {
  test('matches the CPU stable sort by base node; records move whole; unsort inverts; copies equal their own B = 1 sort', async () => {
    const s = particleStride(shape.dim);
    const n = shape.n;
    const data = records(shape, 7);
    const sorter = await ParticleSorter.create(gpu.device, cache, shape);
    const { perm, out, back } = await sortOnGpu(sorter, data);
    expect(Buffer.from(back.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    // positions past the grid's edges clamp to base -1 or res (baseKey), on both sides
    expect(data.some((x, i) => i % s < shape.dim && x < 0)).toBe(true);
    for (let b = 0; b < shape.batch; b++) {
      const keys = Array.from({ length: n }, (_, i) => baseKey(data.subarray((b * n + i) * s, (b * n + i) * s + shape.dim), shape.dx, shape.res));
      const want = Array.from({ length: n }, (_, i) => i).sort((p, q) => keys[p] - keys[q] || p - q);
      expect(Array.from(perm.subarray(b * n, (b + 1) * n))).toEqual(want);
      for (let i = 0; i < n; i++) {
        const p = want[i];
        expect(out.subarray((b * n + i) * s, (b * n + i + 1) * s)).toEqual(data.subarray((b * n + p) * s, (b * n + p + 1) * s));
      }
    }
    // each copy alone
    const one = await ParticleSorter.create(gpu.device, cache, { ...shape, batch: 1 });
    for (let b = 0; b < shape.batch; b++) {
      const single = await sortOnGpu(one, data.slice(b * n * s, (b + 1) * n * s));
      expect(Buffer.from(single.out.buffer).equals(Buffer.from(out.slice(b * n * s, (b + 1) * n * s).buffer))).toBe(true);
      expect(Array.from(single.perm)).toEqual(Array.from(perm.subarray(b * n, (b + 1) * n)));
    }
    // sorted stays put, and a second sort on the same sorter (its counts back at zero) agrees
    const again = await sortOnGpu(sorter, out);
    expect(Buffer.from(again.out.buffer).equals(Buffer.from(out.buffer))).toBe(true);
    for (let b = 0; b < shape.batch; b++) expect(Array.from(again.perm.subarray(b * n, (b + 1) * n))).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(() => {
      const x = createBuffer(gpu.device, 'test.sort.same', 16);
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      try { sorter.encodeSort(pass, x, x); } finally { pass.end(); x.destroy(); }
    }).toThrow(/sIn and sOut must differ/);
    sorter.destroy();
    one.destroy();
  });
});
