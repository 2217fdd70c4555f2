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

/** Where to record: a command encoder (a pass is begun and ended) or an open compute pass. */
export type Encoder = GPUCommandEncoder | GPUComputePassEncoder;

const WG = 256;
const MIN_CHUNK = 16 * WG; // elements per workgroup before a second level pays off
const MAX_PARTIALS = 1024; // first-level outputs; the second level folds them in one workgroup
const MAX_GRID_X = 65535; // WebGPU's default maxComputeWorkgroupsPerDimension
const CACHE_CAP = 4096; // cached params and bind groups; dropped (not destroyed) when exceeded
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw'];
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

export class Reducer {
  private readonly partials: GPUBuffer;
  private readonly dummySegs: GPUBuffer;
  private readonly result: GPUBuffer;
  private readonly params = new Map<string, GPUBuffer>();
  private readonly segBuffers = new Map<string, GPUBuffer>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;

  constructor(readonly device: GPUDevice, readonly cache: PipelineCache = new PipelineCache(device)) {
    this.partials = createBuffer(device, 'util.reduce.partials', MAX_PARTIALS * 4);
    this.dummySegs = createBuffer(device, 'util.reduce.no_segments', 16, STORAGE);
    this.result = createBuffer(device, 'util.reduce.result', 16, STORAGE | COPY_SRC | COPY_DST);
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
    this.withPass(enc, (pass) => this.dispatch(pass, SUM, src, segBuf, dst, [srcOffset, 0, 0, dstOffset, segCount, 1, +accumulate]));
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
        this.dispatch(pass, op, src, this.dummySegs, dst, [srcOffset, count, chunk, dstOffset, 1, 0, +accumulate]);
        return;
      }
      const first = op === NONFINITE ? NONFINITE_PARTIALS : op;
      this.dispatch(pass, first, src, this.dummySegs, this.partials, [srcOffset, count, chunk, 0, groups, 0, 0]);
      this.dispatch(pass, SECOND_LEVEL.get(op)!, this.partials, this.dummySegs, dst, [0, groups, groups, dstOffset, 1, 0, +accumulate]);
    });
  }

  private dispatch(pass: GPUComputePassEncoder, op: Op, src: GPUBuffer, segs: GPUBuffer, dst: GPUBuffer, p: number[]): void {
    const kernel = this.kernel(op);
    const params = this.paramBuffer(p);
    // Every reduce kernel shares one bind group layout, so a bind group serves all ops.
    const key = `${this.id(src)}|${this.id(segs)}|${this.id(dst)}|${this.id(params)}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= CACHE_CAP) this.groups.clear();
      group = this.cache.bindGroup('util.reduce.bind', kernel.layout, [params, src, segs, dst]);
      this.groups.set(key, group);
    }
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group);
    const n = p[4];
    pass.dispatchWorkgroups(Math.min(n, MAX_GRID_X), Math.ceil(n / MAX_GRID_X));
  }

  private kernel(op: Op): ComputeKernel {
    const consts = `const MAP: u32 = ${op.map}u;\nconst COMBINE: u32 = ${op.combine}u;\nconst OUT_U32: bool = ${op.outU32};\n`;
    return this.cache.compute(`util.reduce.${op.name}`, consts + utilShaders.reduce, BINDINGS);
  }

  private paramBuffer(p: number[]): GPUBuffer {
    const key = p.join(',');
    let buf = this.params.get(key);
    if (!buf) {
      if (this.params.size >= CACHE_CAP) this.params.clear();
      buf = createBuffer(this.device, `util.reduce.params[${key}]`, 32, UNIFORM | COPY_DST, new Uint32Array([...p, 0]));
      this.params.set(key, buf);
    }
    return buf;
  }

  private segmentBuffer(segments: readonly Segment[]): GPUBuffer {
    const key = segments.map((s) => `${s.offset}:${s.count}`).join(',');
    let buf = this.segBuffers.get(key);
    if (!buf) {
      if (this.segBuffers.size >= CACHE_CAP) this.segBuffers.clear();
      const data = new Uint32Array(segments.length * 2);
      segments.forEach((s, i) => data.set([s.offset, s.count], 2 * i));
      buf = createBuffer(this.device, `util.reduce.segments[${segments.length}]`, data.byteLength, STORAGE, data);
      this.segBuffers.set(key, buf);
    }
    return buf;
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
