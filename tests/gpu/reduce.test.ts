import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createBuffer, readF32, readU32 } from '../../src/gpu/buffers';
import { PipelineCache } from '../../src/gpu/pipeline-cache';
import { packTargeted, Reducer, targetLayers, type Segment, type TargetedSegment } from '../../src/gpu/reduce';

let ctx: GpuContext;
let device: GPUDevice;
let reducer: Reducer;
beforeAll(async () => {
  ctx = await requestGpu();
  device = ctx.device;
  reducer = new Reducer(device, new PipelineCache(device));
});
afterAll(async () => { await ctx?.checkErrors(); ctx?.destroy(); });

function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  // mulberry32: a seeded PRNG so a failure can be reproduced.
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

const sum64 = (x: ArrayLike<number>, from = 0, n = x.length) => { let s = 0; for (let i = from; i < from + n; i++) s += x[i]; return s; };
const f32 = (x: number) => Math.fround(x);
const upload = (label: string, x: Float32Array) => createBuffer(device, label, x.byteLength, undefined, x);
const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

describe('Reducer sums', () => {
  const N = 1_000_000;
  const x = random(N, 1234);
  const absSum = sum64(x.map(Math.abs));
  let src: GPUBuffer;
  beforeAll(() => { src = upload('test.million', x); });

  // Tolerance: 1e-7 * Σ|x|, about 2 float32 ulps of Σ|x|. Measured on lavapipe: 3e-10 (mixed signs)
  // and 1.3e-8 (all positive). A sequential float32 sum of the positive set is off by 6.6e-6, so the
  // second case also proves the summation is a tree, not a running total.
  it('sums a million floats to within 1e-7 of the sum of |x| (float64 reference)', async () => {
    expect(Math.abs((await reducer.sum(src, N)) - sum64(x))).toBeLessThan(1e-7 * absSum);
    const pos = random(N, 4321, 0, 1);
    const got = await reducer.sum(upload('test.million.positive', pos), N);
    expect(Math.abs(got - sum64(pos))).toBeLessThan(1e-7 * sum64(pos));
  });

  it('gives the same bits on every run, and inside one encoder twice', async () => {
    const a = await reducer.sum(src, N);
    const b = await reducer.sum(src, N);
    expect(bits(a)).toBe(bits(b));
    const dst = createBuffer(device, 'test.sum.twice', 8);
    const enc = device.createCommandEncoder({ label: 'test.sum.enc' });
    reducer.encodeSum(enc, src, 0, N, dst, 0);
    reducer.encodeSum(enc, src, 0, N, dst, 1);
    device.queue.submit([enc.finish()]);
    const out = await readU32(device, dst, 0, 2);
    expect([out[0], out[1]]).toEqual([bits(a), bits(a)]);
  });

  it('honours offsets, small and empty ranges, and different parameters in one encoder', async () => {
    const dst = createBuffer(device, 'test.sum.offsets', 16);
    const enc = device.createCommandEncoder({ label: 'test.sum.offsets.enc' });
    const pass = enc.beginComputePass({ label: 'test.sum.offsets.pass' }); // an open pass works too
    reducer.encodeSum(pass, src, 1000, 10, dst, 0);
    reducer.encodeSum(pass, src, 7, 300_001, dst, 1);
    reducer.encodeSum(pass, src, 5, 1, dst, 2);
    reducer.encodeSum(pass, src, 5, 0, dst, 3);
    pass.end();
    device.queue.submit([enc.finish()]);
    const out = await readF32(device, dst, 0, 4);
    expect(out[0]).toBeCloseTo(sum64(x, 1000, 10), 5);
    expect(Math.abs(out[1] - sum64(x, 7, 300_001))).toBeLessThan(1e-7 * absSum);
    expect(out[2]).toBe(x[5]);
    expect(out[3]).toBe(0);
  });

  it('accumulates into dst when asked', async () => {
    const dst = createBuffer(device, 'test.sum.acc', 8, undefined, new Float32Array([10, 10]));
    const enc = device.createCommandEncoder({ label: 'test.sum.acc.enc' });
    reducer.encodeSum(enc, src, 0, 100, dst, 0, true);   // one level
    reducer.encodeSum(enc, src, 0, N, dst, 1, true);     // two levels
    device.queue.submit([enc.finish()]);
    const out = await readF32(device, dst, 0, 2);
    expect(out[0]).toBeCloseTo(10 + sum64(x, 0, 100), 4);
    expect(Math.abs(out[1] - (10 + sum64(x)))).toBeLessThan(1e-7 * absSum);
  });
});

describe('Reducer max and max |x|', () => {
  it('finds the exact extremes at any size', async () => {
    for (const n of [1, 255, 4097, 600_000]) {
      const x = random(n, n, -5, 3);
      const src = upload(`test.max.${n}`, x);
      let mx = -Infinity, ma = 0;
      for (const v of x) { mx = Math.max(mx, v); ma = Math.max(ma, Math.abs(v)); }
      expect(await reducer.max(src, n)).toBe(mx);
      expect(await reducer.maxAbs(src, n)).toBe(ma);
    }
  });

  it('gives -inf for the max and 0 for the max |x| of nothing', async () => {
    const src = upload('test.max.empty', new Float32Array(4));
    expect(await reducer.max(src, 0)).toBe(-Infinity);
    expect(await reducer.maxAbs(src, 0)).toBe(0);
  });

  it('finds a max of all-negative values and accumulates', async () => {
    const src = upload('test.max.neg', new Float32Array([-7, -3, -9]));
    expect(await reducer.max(src, 3)).toBe(-3);
    const dst = createBuffer(device, 'test.max.acc', 8, undefined, new Float32Array([-1, 100]));
    const enc = device.createCommandEncoder({ label: 'test.max.acc.enc' });
    reducer.encodeMax(enc, src, 0, 3, dst, 0, true);
    reducer.encodeMaxAbs(enc, src, 0, 3, dst, 1, true);
    device.queue.submit([enc.finish()]);
    expect(Array.from(await readF32(device, dst, 0, 2))).toEqual([-1, 100]);
  });
});

describe('Reducer any non-finite', () => {
  const N = 300_000;
  it('finds one NaN or Inf among many finite values', async () => {
    const x = random(N, 99, -3e38, 3e38); // huge but finite
    const clean = upload('test.nf.clean', x);
    expect(await reducer.anyNonFinite(clean, N)).toBe(false);
    for (const [bad, at] of [[NaN, 123_457], [Infinity, N - 1], [-Infinity, 0]] as const) {
      const y = x.slice();
      y[at] = bad;
      expect(await reducer.anyNonFinite(upload(`test.nf.${bad}`, y), N), `${bad} at ${at}`).toBe(true);
      expect(await reducer.anyNonFinite(upload(`test.nf.small.${bad}`, y.subarray(Math.max(0, at - 10), at + 1)), Math.min(11, at + 1))).toBe(true);
    }
  });

  it('ORs into a u32 flag when accumulating and respects the range', async () => {
    const y = new Float32Array(5000);
    y[4999] = NaN;
    const src = upload('test.nf.range', y);
    const flags = createBuffer(device, 'test.nf.flags', 12, undefined, new Uint32Array([1, 0, 7]));
    const enc = device.createCommandEncoder({ label: 'test.nf.enc' });
    reducer.encodeAnyNonFinite(enc, src, 0, 4999, flags, 0, true); // clean range, flag stays 1
    reducer.encodeAnyNonFinite(enc, src, 0, 5000, flags, 1, true); // NaN: 0 -> 1
    reducer.encodeAnyNonFinite(enc, src, 0, 4999, flags, 2, false); // overwritten with 0
    device.queue.submit([enc.finish()]);
    expect(Array.from(await readU32(device, flags, 0, 3))).toEqual([1, 1, 0]);
  });
});

describe('Reducer segmented sums', () => {
  const x = random(200_000, 7);
  const segments: Segment[] = [
    { offset: 0, count: 0 }, { offset: 3, count: 1 }, { offset: 10, count: 255 }, { offset: 300, count: 256 },
    { offset: 600, count: 257 }, { offset: 1000, count: 5000 }, { offset: 50_000, count: 150_000 },
    { offset: 0, count: 3 }, { offset: 5, count: 20_000 }, // overlapping the ones above
  ];

  it('sums uneven, empty and overlapping segments in one call', async () => {
    const src = upload('test.seg.src', x);
    const got = await reducer.segmentedSum(src, segments);
    expect(got.length).toBe(segments.length);
    segments.forEach((s, i) => {
      const exact = sum64(x, s.offset, s.count);
      const abs = sum64(x.subarray(s.offset, s.offset + s.count).map(Math.abs));
      expect(Math.abs(got[i] - exact), `segment ${i}`).toBeLessThanOrEqual(1e-7 * abs);
    });
    expect(got[1]).toBe(x[3]);
    expect(got[0]).toBe(0);
    // Deterministic: same bits again, and the same as a plain sum of the same range.
    expect(Array.from(await reducer.segmentedSum(src, segments))).toEqual(Array.from(got));
    expect(await reducer.sum(src, 257, 600)).toBe(got[4]);
  });

  it('reads segments from a GPU buffer, with src and dst offsets, and accumulates', async () => {
    const src = upload('test.seg.src2', x);
    const pairs = new Uint32Array(segments.flatMap((s) => [s.offset, s.count]));
    const segBuf = createBuffer(device, 'test.seg.pairs', pairs.byteLength, GPUBufferUsage.STORAGE, pairs);
    const dst = createBuffer(device, 'test.seg.dst', 4 * (segments.length + 2), undefined,
      new Float32Array(segments.length + 2).fill(1));
    const enc = device.createCommandEncoder({ label: 'test.seg.enc' });
    reducer.encodeSegmentedSum(enc, src, { buffer: segBuf, count: segments.length }, dst, true, { srcOffset: 0, dstOffset: 2 });
    device.queue.submit([enc.finish()]);
    const out = await readF32(device, dst);
    expect([out[0], out[1]]).toEqual([1, 1]);
    segments.forEach((s, i) => expect(out[i + 2]).toBeCloseTo(1 + sum64(x, s.offset, s.count), 2));
    // srcOffset shifts every segment.
    const shifted = await reducer.segmentedSum(src, [{ offset: 0, count: 10 }]);
    const enc2 = device.createCommandEncoder({ label: 'test.seg.enc2' });
    reducer.encodeSegmentedSum(enc2, src, [{ offset: 0, count: 10 }], dst, false, { srcOffset: 1000 });
    device.queue.submit([enc2.finish()]);
    expect((await readF32(device, dst, 0, 1))[0]).toBeCloseTo(sum64(x, 1000, 10), 5);
    expect(shifted[0]).toBeCloseTo(sum64(x, 0, 10), 5);
  });

  it('handles more segments than one grid row holds', async () => {
    const n = 70_000; // > 65535 workgroups: a 2D dispatch
    const ones = upload('test.seg.ones', new Float32Array(n + 1).fill(1));
    const segs = Array.from({ length: n }, (_, i) => ({ offset: i, count: 1 + (i % 2) }));
    const got = await reducer.segmentedSum(ones, segs);
    expect(got[0]).toBe(1);
    expect(got[1]).toBe(2);
    expect(got[n - 1]).toBe(2);
    expect(got.every((v, i) => v === 1 + (i % 2))).toBe(true);
  });
});

describe('Reducer targeted sums', () => {
  const x = random(20_000, 11);
  // outputs: 3 entries per row, rows 4 apart from 10 on, and one entry outside the rows (rowStep 0)
  const segs: TargetedSegment[] = [
    { offset: 0, count: 300, target: 10, rowStep: 4 }, { offset: 300, count: 1, target: 12, rowStep: 4 },
    { offset: 400, count: 0, target: 11, rowStep: 4 }, { offset: 1000, count: 9000, target: 2, rowStep: 0 },
  ];

  it('adds each segment into its own entry at the row a uniform holds, the same bits as a segmented sum', async () => {
    const src = upload('test.tgt.src', x);
    // a step table as a rollout binds it: a record per 256 bytes, the row in word 1
    const rows = [0, 2, 1];
    const table = new Uint32Array(64 * rows.length);
    rows.forEach((r, k) => { table[64 * k] = 99; table[64 * k + 1] = r; });
    const rowBuf = createBuffer(device, 'test.tgt.rows', table.byteLength, GPUBufferUsage.UNIFORM, table);
    const dst = createBuffer(device, 'test.tgt.dst', 4 * 24, undefined, new Float32Array(24).fill(0.5));
    const quads = packTargeted(segs);
    const segBuf = createBuffer(device, 'test.tgt.segs', quads.byteLength, GPUBufferUsage.STORAGE, quads);
    const enc = device.createCommandEncoder({ label: 'test.tgt.enc' });
    const pass = enc.beginComputePass();
    for (let k = 0; k < rows.length; k++) {
      reducer.encodeTargetedSum(pass, src, { buffer: segBuf, count: segs.length }, dst, { accumulate: true, row: { buffer: rowBuf, offset: 256 * k, word: 1 } });
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    const got = await readF32(device, dst);
    const sums = await reducer.segmentedSum(src, segs);
    const want = new Float32Array(24).fill(0.5);
    for (const r of rows) segs.forEach((s, i) => { const o = s.target + r * s.rowStep; want[o] = f32(want[o] + sums[i]); });
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got[14]).toBe(f32(0.5 + sums[0])); // row 1 once
    expect(got[2]).toBe(f32(f32(f32(0.5 + sums[3]) + sums[3]) + sums[3])); // rowStep 0: every row into one entry
    expect(got[11]).toBe(0.5); // empty segment: accumulate leaves the old value
  });

  it('without a row writes row 0, overwriting, from segments given on the CPU', async () => {
    const src = upload('test.tgt.src2', x);
    const dst = createBuffer(device, 'test.tgt.dst2', 4 * 16, undefined, new Float32Array(16).fill(7));
    const enc = device.createCommandEncoder({ label: 'test.tgt.enc2' });
    reducer.encodeTargetedSum(enc, src, segs, dst, { dstOffset: 1 });
    device.queue.submit([enc.finish()]);
    const got = await readF32(device, dst);
    const sums = await reducer.segmentedSum(src, segs);
    expect([got[11], got[13], got[12], got[3]]).toEqual([sums[0], sums[1], 0, sums[3]]);
    expect(got[0]).toBe(7);
  });

  it('splits segments that share an output into layers, refuses them in one call, and checks the largest row', () => {
    const shared: TargetedSegment[] = [{ offset: 0, count: 4, target: 1, rowStep: 2 }, { offset: 4, count: 4, target: 0, rowStep: 2 },
      { offset: 8, count: 4, target: 1, rowStep: 2 }, { offset: 12, count: 4, target: 1, rowStep: 2 }];
    expect(targetLayers(shared).map((l) => l.map((s) => s.offset))).toEqual([[0, 4], [8], [12]]);
    const src = upload('test.tgt.err', new Float32Array(16));
    const dst = createBuffer(device, 'test.tgt.err.dst', 4 * 8);
    const rowBuf = createBuffer(device, 'test.tgt.err.row', 16, GPUBufferUsage.UNIFORM);
    const enc = device.createCommandEncoder({ label: 'test.tgt.err.enc' });
    expect(() => reducer.encodeTargetedSum(enc, src, shared, dst)).toThrow(/share an output/);
    const row = { buffer: rowBuf, offset: 0, word: 0 };
    expect(() => reducer.encodeTargetedSum(enc, src, shared.slice(0, 2), dst, { row, maxRow: 3 })).not.toThrow();
    expect(() => reducer.encodeTargetedSum(enc, src, shared.slice(0, 2), dst, { row, maxRow: 4 })).toThrow(/segment 0: outputs \[9, 10\) overrun 'test\.tgt\.err\.dst'/);
    expect(() => reducer.encodeTargetedSum(enc, src, shared.slice(0, 1), dst, { row: { ...row, word: 4 } })).toThrow(/row\.word = 4/);
  });
});

describe('Reducer errors', () => {
  it('names the buffer and range when a call would read past the end', () => {
    const src = upload('test.err.src', new Float32Array(8));
    const dst = createBuffer(device, 'test.err.dst', 4);
    const enc = device.createCommandEncoder({ label: 'test.err.enc' });
    expect(() => reducer.encodeSum(enc, src, 4, 5, dst)).toThrow(/\[4, 9\) overrun 'test\.err\.src'/);
    expect(() => reducer.encodeSum(enc, src, 0, 8, dst, 4)).toThrow(/overrun 'test\.err\.dst'/);
    expect(() => reducer.encodeSum(enc, src, 0, 8, src)).toThrow(/same buffer/);
    expect(() => reducer.encodeSegmentedSum(enc, src, [{ offset: 6, count: 3 }], dst)).toThrow(/segment 0/);
    expect(() => reducer.encodeSum(enc, src, 0.5, 1, dst)).toThrow(/integers/);
  });
});
