// Deterministic reductions on the GPU (sum, max, max |x|, any non-finite, segmented sum), built on
// src/shaders/util/reduce.wgsl. Same input, same bits: the summation order is fixed by the element
// count alone, and no float atomics are involved.
//
// Parameters never go through a shared uniform that is rewritten per call: queue.writeBuffer runs
// at once, before the caller submits, so two calls in one encoder would both see the last value.
// Instead each distinct parameter set gets its own small immutable buffer, cached, and so does
// each bind group; a rollout that repeats the same reductions every step allocates nothing.

import { utilShaders } from '../shaders/index';
import { createBuffer, readBuffer } from './buffers';
import { PipelineCache, type BindingKind, type ComputeKernel } from './pipeline-cache';

/** `count` elements of src starting at element `offset` (offsets are in 4-byte elements). */
export interface Segment { offset: number; count: number }

/** Segments given on the CPU, or already in a GPU buffer of (offset, count) u32 pairs. */
export type Segments = readonly Segment[] | { buffer: GPUBuffer; count: number };

/**
 * A segment summed into an output of its own: dst[dstOffset + target + row * rowStep], with `row`
 * read on the GPU (see encodeTargetedSum).
 */
export interface TargetedSegment extends Segment { target: number; rowStep: number }

/**
 * Where a targeted sum reads its row: word `word` (0-3) of the 16 bytes at `offset` of the uniform
 * buffer `buffer`, bound with a dynamic offset (a multiple of 256).
 */
export interface RowSource { buffer: GPUBuffer; offset: number; word: number }

/** Targeted segments as the kernel reads them: (offset, count, target, rowStep) u32 quads. */
export function packTargeted(segments: readonly TargetedSegment[]): Uint32Array {
  const data = new Uint32Array(4 * segments.length);
  segments.forEach((s, i) => data.set([s.offset, s.count, s.target, s.rowStep], 4 * i));
  return data;
}

/**
 * Splits targeted segments into layers whose outputs are distinct for every row, keeping their
 * order: the k-th segment with a given (target, rowStep) goes into layer k. One dispatch's
 * workgroups do not order their writes, so two segments of one layer with the same output would
 * race; layers encoded one after another add in a fixed order.
 */
export function targetLayers(segments: readonly TargetedSegment[]): TargetedSegment[][] {
  const layers: TargetedSegment[][] = [];
  const seen = new Map<string, number>();
  for (const s of segments) {
    const key = `${s.target}:${s.rowStep}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    (layers[k] ??= []).push(s);
  }
  return layers;
}

/** Where to record: a command encoder (a pass is begun and ended) or an open compute pass. */
export type Encoder = GPUCommandEncoder | GPUComputePassEncoder;

const WG = 256;
const MIN_CHUNK = 16 * WG; // elements per workgroup before a second level pays off
const MAX_PARTIALS = 1024; // first-level outputs; the second level folds them in one workgroup
const MAX_GRID_X = 65535; // WebGPU's default maxComputeWorkgroupsPerDimension
const CACHE_CAP = 4096; // cached params and bind groups; dropped (not destroyed) when exceeded
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'uniform-dynamic'];
const UNIFORM = 0x40, COPY_DST = 0x08, STORAGE = 0x80, COPY_SRC = 0x04; // GPUBufferUsage

/** An operation = what each element maps to, how two values combine, how the result is stored. */
interface Op { name: string; map: 0 | 1 | 2; combine: 0 | 1; outU32: boolean }
const SUM: Op = { name: 'sum', map: 0, combine: 0, outU32: false };
const MAX: Op = { name: 'max', map: 0, combine: 1, outU32: false };
const MAX_ABS: Op = { name: 'max_abs', map: 1, combine: 1, outU32: false };
const NONFINITE: Op = { name: 'nonfinite', map: 2, combine: 1, outU32: true };
// The op that folds first-level partials (already mapped, stored as f32) into the final output.
const SECOND_LEVEL = new Map<Op, Op>([
  [SUM, SUM], [MAX, MAX], [MAX_ABS, MAX],
  [NONFINITE, { name: 'nonfinite_fold', map: 0, combine: 1, outU32: true }],
]);
const NONFINITE_PARTIALS: Op = { name: 'nonfinite_partials', map: 2, combine: 1, outU32: false };

/** What one dispatch of reduce.wgsl reads: its params (the Params struct, in order) and buffers. */
interface Dispatch { op: Op; src: GPUBuffer; segs: GPUBuffer; dst: GPUBuffer; p: number[]; row?: RowSource }

export class Reducer {
  private readonly partials: GPUBuffer;
  private readonly dummySegs: GPUBuffer;
  private readonly result: GPUBuffer;
  /** The row uniform of every call that has none (reduce.wgsl reads it only for targeted segments). */
  private readonly noRow: GPUBuffer;
  private readonly params = new Map<string, GPUBuffer>();
  private readonly segBuffers = new Map<string, GPUBuffer>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;

  constructor(readonly device: GPUDevice, readonly cache: PipelineCache = new PipelineCache(device)) {
    this.partials = createBuffer(device, 'util.reduce.partials', MAX_PARTIALS * 4);
    this.dummySegs = createBuffer(device, 'util.reduce.no_segments', 16, STORAGE);
    this.result = createBuffer(device, 'util.reduce.result', 16, STORAGE | COPY_SRC | COPY_DST);
    this.noRow = createBuffer(device, 'util.reduce.no_row', 16, UNIFORM);
  }

  /** Compiles the kernels a sum needs and waits for them, throwing a ShaderCompileError if one failed. */
  async ready(): Promise<void> {
    await this.cache.computeAsync(`util.reduce.${SUM.name}`, this.kernelCode(SUM), BINDINGS);
  }

  /** dst[dstOffset] = Σ src[srcOffset ..+ count] (or += with accumulate). One or two dispatches. */
  encodeSum(enc: Encoder, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset = 0, accumulate = false): void {
    this.encodeRange(SUM, enc, src, srcOffset, count, dst, dstOffset, accumulate);
  }

  /** dst[dstOffset] = max over the range (-inf if empty; NaN handling is the GPU's: use encodeAnyNonFinite). */
  encodeMax(enc: Encoder, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset = 0, accumulate = false): void {
    this.encodeRange(MAX, enc, src, srcOffset, count, dst, dstOffset, accumulate);
  }

  /** dst[dstOffset] = max |x| over the range (0 if empty). */
  encodeMaxAbs(enc: Encoder, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset = 0, accumulate = false): void {
    this.encodeRange(MAX_ABS, enc, src, srcOffset, count, dst, dstOffset, accumulate);
  }

  /** u32 dst[dstOffset] = 1 if any element is NaN or ±Inf, else 0 (accumulate: OR). */
  encodeAnyNonFinite(enc: Encoder, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset = 0, accumulate = false): void {
    this.encodeRange(NONFINITE, enc, src, srcOffset, count, dst, dstOffset, accumulate);
  }

  /**
   * dst[dstOffset + i] = Σ src[srcOffset + seg_i.offset ..+ seg_i.count] for each segment, in one
   * dispatch (one workgroup per segment). Segments may be uneven, empty or overlapping. Segments in
   * a GPU buffer cannot be range-checked here: out-of-range reads are clamped by the GPU.
   */
  encodeSegmentedSum(enc: Encoder, src: GPUBuffer, segments: Segments, dst: GPUBuffer, accumulate = false,
    opts: { srcOffset?: number; dstOffset?: number } = {}): void {
    const srcOffset = opts.srcOffset ?? 0, dstOffset = opts.dstOffset ?? 0;
    const segCount = 'buffer' in segments ? segments.count : segments.length;
    this.check('encodeSegmentedSum', src, srcOffset, 0, dst, dstOffset, segCount);
    if (!('buffer' in segments)) {
      for (const [i, s] of segments.entries()) this.check(`encodeSegmentedSum segment ${i}`, src, srcOffset + s.offset, s.count, dst, dstOffset, 1);
    }
    if (segCount === 0) return;
    const segBuf = 'buffer' in segments ? segments.buffer : this.segmentBuffer(segments);
    this.withPass(enc, (pass) => this.dispatch(pass, { op: SUM, src, segs: segBuf, dst, p: [srcOffset, 0, 0, dstOffset, segCount, 1, +accumulate, 0] }));
  }

  /**
   * dst[dstOffset + seg.target + row * seg.rowStep] = Σ src[srcOffset + seg.offset ..+ seg.count]
   * (or += with accumulate) for each segment, in one dispatch (one workgroup per segment), the same
   * order of summation as encodeSegmentedSum. `row` is read on the GPU where given (see RowSource),
   * else 0: one bind group then serves every row, e.g. every step of a rollout. Outputs must be
   * distinct within a call for every row (split with targetLayers); segments given on the CPU are
   * checked for that, and against the buffers, with the largest row `maxRow`. Segments in a GPU
   * buffer (packTargeted) are not checked.
   */
  encodeTargetedSum(enc: Encoder, src: GPUBuffer, segments: readonly TargetedSegment[] | { buffer: GPUBuffer; count: number }, dst: GPUBuffer,
    opts: { accumulate?: boolean; srcOffset?: number; dstOffset?: number; row?: RowSource; maxRow?: number } = {}): void {
    const srcOffset = opts.srcOffset ?? 0, dstOffset = opts.dstOffset ?? 0;
    const row = opts.row;
    const gpuSegs = 'buffer' in segments;
    const segCount = gpuSegs ? segments.count : segments.length;
    this.check('encodeTargetedSum', src, srcOffset, 0, dst, dstOffset, 0);
    if (row && !(Number.isInteger(row.word) && row.word >= 0 && row.word < 4)) throw new RangeError(`Reducer encodeTargetedSum: row.word = ${row.word}, allowed 0 to 3`);
    if (!gpuSegs) {
      const maxRow = row ? opts.maxRow ?? 0 : 0;
      if (targetLayers(segments).length > 1) throw new RangeError('Reducer encodeTargetedSum: two segments share an output (split them with targetLayers)');
      for (const [i, s] of segments.entries()) {
        this.check(`encodeTargetedSum segment ${i}`, src, srcOffset + s.offset, s.count, dst, dstOffset + s.target + maxRow * s.rowStep, 1);
      }
    }
    if (segCount === 0) return;
    const segBuf = gpuSegs ? segments.buffer : this.segmentBuffer(segments, true);
    this.withPass(enc, (pass) => this.dispatch(pass, {
      op: SUM, src, segs: segBuf, dst, p: [srcOffset, 0, 0, dstOffset, segCount, 2, +(opts.accumulate ?? false), row?.word ?? 0], row,
    }));
  }

  async sum(src: GPUBuffer, count: number, srcOffset = 0): Promise<number> {
    return this.readOne((enc) => this.encodeSum(enc, src, srcOffset, count, this.result), Float32Array);
  }

  async max(src: GPUBuffer, count: number, srcOffset = 0): Promise<number> {
    return this.readOne((enc) => this.encodeMax(enc, src, srcOffset, count, this.result), Float32Array);
  }

  async maxAbs(src: GPUBuffer, count: number, srcOffset = 0): Promise<number> {
    return this.readOne((enc) => this.encodeMaxAbs(enc, src, srcOffset, count, this.result), Float32Array);
  }

  async anyNonFinite(src: GPUBuffer, count: number, srcOffset = 0): Promise<boolean> {
    return (await this.readOne((enc) => this.encodeAnyNonFinite(enc, src, srcOffset, count, this.result), Uint32Array)) !== 0;
  }

  async segmentedSum(src: GPUBuffer, segments: Segments): Promise<Float32Array> {
    const n = 'buffer' in segments ? segments.count : segments.length;
    const out = createBuffer(this.device, 'util.reduce.segmented_out', n * 4);
    try {
      const enc = this.device.createCommandEncoder({ label: 'util.reduce.segmented_sum' });
      this.encodeSegmentedSum(enc, src, segments, out);
      this.device.queue.submit([enc.finish()]);
      return new Float32Array(await readBuffer(this.device, out, 0, n * 4));
    } finally {
      out.destroy();
    }
  }

  private async readOne(encode: (enc: GPUCommandEncoder) => void, type: Float32ArrayConstructor | Uint32ArrayConstructor): Promise<number> {
    const enc = this.device.createCommandEncoder({ label: 'util.reduce.read_one' });
    encode(enc);
    this.device.queue.submit([enc.finish()]);
    return new type(await readBuffer(this.device, this.result, 0, 4))[0];
  }

  private encodeRange(op: Op, enc: Encoder, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset: number, accumulate: boolean): void {
    this.check(`encode ${op.name}`, src, srcOffset, count, dst, dstOffset, 1);
    // Chunking depends on count only, never on the device, so the summation order is reproducible.
    let chunk = Math.max(MIN_CHUNK, Math.ceil(count / MAX_PARTIALS));
    let groups = Math.ceil(count / chunk);
    this.withPass(enc, (pass) => {
      if (groups <= 1) {
        chunk = Math.max(count, 1);
        this.dispatch(pass, { op, src, segs: this.dummySegs, dst, p: [srcOffset, count, chunk, dstOffset, 1, 0, +accumulate, 0] });
        return;
      }
      const first = op === NONFINITE ? NONFINITE_PARTIALS : op;
      this.dispatch(pass, { op: first, src, segs: this.dummySegs, dst: this.partials, p: [srcOffset, count, chunk, 0, groups, 0, 0, 0] });
      this.dispatch(pass, { op: SECOND_LEVEL.get(op)!, src: this.partials, segs: this.dummySegs, dst, p: [0, groups, groups, dstOffset, 1, 0, +accumulate, 0] });
    });
  }

  private dispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
    const kernel = this.kernel(d.op);
    const params = this.paramBuffer(d.p);
    const rowBuf = d.row?.buffer ?? this.noRow;
    // Every reduce kernel shares one bind group layout, so a bind group serves all ops.
    const key = `${this.id(d.src)}|${this.id(d.segs)}|${this.id(d.dst)}|${this.id(params)}|${this.id(rowBuf)}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= CACHE_CAP) this.groups.clear();
      group = this.cache.bindGroup('util.reduce.bind', kernel.layout, [params, d.src, d.segs, d.dst, { buffer: rowBuf, offset: 0, size: 16 }]);
      this.groups.set(key, group);
    }
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group, [d.row?.offset ?? 0]);
    const n = d.p[4];
    pass.dispatchWorkgroups(Math.min(n, MAX_GRID_X), Math.ceil(n / MAX_GRID_X));
  }

  private kernel(op: Op): ComputeKernel {
    return this.cache.compute(`util.reduce.${op.name}`, this.kernelCode(op), BINDINGS);
  }

  private kernelCode(op: Op): string {
    const consts = `const MAP: u32 = ${op.map}u;\nconst COMBINE: u32 = ${op.combine}u;\nconst OUT_U32: bool = ${op.outU32};\n`;
    return consts + utilShaders.reduce;
  }

  private paramBuffer(p: number[]): GPUBuffer {
    const key = p.join(',');
    let buf = this.params.get(key);
    if (!buf) {
      if (this.params.size >= CACHE_CAP) this.params.clear();
      buf = createBuffer(this.device, `util.reduce.params[${key}]`, 32, UNIFORM | COPY_DST, new Uint32Array(p));
      this.params.set(key, buf);
    }
    return buf;
  }

  private segmentBuffer(segments: readonly Segment[] | readonly TargetedSegment[], targeted = false): GPUBuffer {
    const key = (targeted ? 'targeted;' : '') + segments.map((s) => `${s.offset}:${s.count}${targeted ? `:${(s as TargetedSegment).target}:${(s as TargetedSegment).rowStep}` : ''}`).join(',');
    let buf = this.segBuffers.get(key);
    if (!buf) {
      if (this.segBuffers.size >= CACHE_CAP) this.segBuffers.clear();
      const data = targeted ? packTargeted(segments as readonly TargetedSegment[]) : new Uint32Array(segments.length * 2);
      if (!targeted) segments.forEach((s, i) => data.set([s.offset, s.count], 2 * i));
      buf = createBuffer(this.device, `util.reduce.segments[${segments.length}]`, data.byteLength, STORAGE, data);
      this.segBuffers.set(key, buf);
    }
    return buf;
  }

  /** Frees the reducer's own buffers (not the pipelines, which belong to the cache). */
  destroy(): void {
    for (const b of [this.partials, this.dummySegs, this.result, this.noRow, ...this.params.values(), ...this.segBuffers.values()]) b.destroy();
    this.params.clear();
    this.segBuffers.clear();
    this.groups.clear();
  }

  private id(buf: GPUBuffer): number {
    let id = this.ids.get(buf);
    if (id === undefined) this.ids.set(buf, (id = this.nextId++));
    return id;
  }

  private withPass(enc: Encoder, fn: (pass: GPUComputePassEncoder) => void): void {
    if (!('beginComputePass' in enc)) return fn(enc);
    const pass = enc.beginComputePass({ label: 'util.reduce.pass' });
    fn(pass);
    pass.end();
  }

  private check(what: string, src: GPUBuffer, srcOffset: number, count: number, dst: GPUBuffer, dstOffset: number, outputs: number): void {
    const int = (v: number) => Number.isInteger(v) && v >= 0 && v < 2 ** 32;
    if (![srcOffset, count, dstOffset, outputs].every(int)) {
      throw new RangeError(`Reducer ${what}: offsets and counts must be integers >= 0 (srcOffset ${srcOffset}, count ${count}, dstOffset ${dstOffset})`);
    }
    if ((srcOffset + count) * 4 > src.size) {
      throw new RangeError(`Reducer ${what}: elements [${srcOffset}, ${srcOffset + count}) overrun '${src.label}' (${src.size / 4} elements)`);
    }
    if ((dstOffset + outputs) * 4 > dst.size) {
      throw new RangeError(`Reducer ${what}: outputs [${dstOffset}, ${dstOffset + outputs}) overrun '${dst.label}' (${dst.size / 4} elements)`);
    }
    if (src === dst) throw new Error(`Reducer ${what}: src and dst are the same buffer '${src.label}'; WebGPU cannot bind it read-only and writable at once`);
  }
}
