// Reorders each batch copy's particles by stencil base node on the GPU, deterministically
// (sort.wgsl: a counting sort whose buckets are then ordered by index; integer atomics only count),
// so that p2g's runs of consecutive particles share bases again once material has mixed (issue 20).
// Encodes into a pass; never submits. MpmSim sorts with it every sortEvery steps (docs/design.md,
// "Particle order").
import { createBuffer } from '../gpu/buffers';
import type { BindingKind, ComputeKernel, PipelineCache } from '../gpu/pipeline-cache';
import { mpmShaders } from '../shaders/index';
import { particleStride } from './layout';

const WG = 64;
const SCAN_WG = 256;
const UNIFORM = 0x40;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'rw', 'rw', 'rw', 'rw', 'rw', 'read', 'rw'];

let nextId = 1;
const ids = new WeakMap<GPUBuffer, number>();
function idOf(b: GPUBuffer): number {
  let id = ids.get(b);
  if (id === undefined) { id = nextId++; ids.set(b, id); }
  return id;
}

export interface SortShape {
  dim: 2 | 3;
  /** Particles per batch copy. */
  n: number;
  batch: number;
  dx: number;
  res: number[];
}

/** Keys per batch copy: base nodes -1 .. res on each axis. */
export function sortKeys(res: number[]): number {
  return res.reduce((a, r) => a * (r + 2), 1);
}

/** A particle's sort key at x (sort.wgsl, count): its stencil base node, clamped to [-1, res] per axis. */
export function baseKey(x: ArrayLike<number>, dx: number, res: number[]): number {
  let node = 0;
  let stride = 1;
  for (let d = 0; d < res.length; d++) {
    const c = Math.min(Math.max(Math.floor(Math.fround(Math.fround(x[d] * Math.fround(1 / dx)) - 0.5)), -1), res[d]);
    node += (c + 1) * stride;
    stride *= res[d] + 2;
  }
  return node;
}

type Entry = 'count' | 'scan' | 'place' | 'bucket' | 'gather' | 'scatter' | 'follow' | 'start';

export class ParticleSorter {
  /** [B][n]: perm[b][i] = the index, in the input's order, of the particle the output holds at i. */
  readonly perm: GPUBuffer;
  private readonly key: GPUBuffer;
  private readonly counts: GPUBuffer;
  private readonly starts: GPUBuffer;
  private readonly params: GPUBuffer;
  /** Placeholders for the bindings a kernel does not use (records, orders). */
  private readonly spare: GPUBuffer[];
  private readonly nKeys: number;
  private readonly groups = new Map<string, GPUBindGroup>();

  private constructor(
    readonly device: GPUDevice,
    private readonly cache: PipelineCache,
    readonly shape: SortShape,
    private readonly k: Record<Entry, ComputeKernel>,
  ) {
    const { n, batch, res } = shape;
    this.nKeys = sortKeys(res);
    const p = new ArrayBuffer(32);
    const u = new Uint32Array(p);
    u[0] = n;
    u[1] = this.nKeys;
    new Float32Array(p)[2] = Math.fround(1 / shape.dx);
    for (let d = 0; d < 3; d++) u[4 + d] = res[d] ?? 1;
    this.params = createBuffer(device, 'mpm.sort.params', 32, UNIFORM, new Uint8Array(p));
    this.key = createBuffer(device, 'mpm.sort.key', batch * n * 4);
    this.counts = createBuffer(device, 'mpm.sort.counts', batch * this.nKeys * 4); // zero between sorts
    this.starts = createBuffer(device, 'mpm.sort.starts', batch * (this.nKeys + 1) * 4);
    this.perm = createBuffer(device, 'mpm.sort.perm', batch * n * 4);
    this.spare = ['rec_in', 'rec_out', 'order_in', 'order_out'].map((l) => createBuffer(device, `mpm.sort.spare.${l}`, 16));
  }

  static async create(device: GPUDevice, cache: PipelineCache, shape: SortShape, maxGroups = device.limits.maxComputeWorkgroupsPerDimension): Promise<ParticleSorter> {
    const widest = Math.max(shape.n, sortKeys(shape.res));
    if (Math.ceil(widest / WG) > maxGroups) throw new RangeError(`particle sort: ${shape.n} particles and ${sortKeys(shape.res)} keys: allowed at most ${maxGroups * WG} of each (one dispatch row)`);
    if (shape.batch > maxGroups) throw new RangeError(`particle sort: batch = ${shape.batch} copies: allowed at most ${maxGroups}`);
    const code = [`const DIM: u32 = ${shape.dim}u;`, `const PSTRIDE: u32 = ${particleStride(shape.dim)}u;`, `const WG: u32 = ${WG}u;`, `const SCAN_WG: u32 = ${SCAN_WG}u;`, mpmShaders.sort].join('\n');
    const entries: Entry[] = ['count', 'scan', 'place', 'bucket', 'gather', 'scatter', 'follow', 'start'];
    const ks = await Promise.all(entries.map((e) => cache.computeAsync(`mpm${shape.dim}d.sort.${e}`, code, BINDINGS, e)));
    return new ParticleSorter(device, cache, shape, Object.fromEntries(entries.map((e, i) => [e, ks[i]])) as Record<Entry, ComputeKernel>);
  }

  private run(pass: GPUComputePassEncoder, e: Entry, input: GPUBuffer, output: GPUBuffer, groups: number,
    o: { perm?: GPUBuffer; orderIn?: GPUBuffer; orderOut?: GPUBuffer } = {}): void {
    const kernel = this.k[e];
    const perm = o.perm ?? this.perm;
    const orderIn = o.orderIn ?? this.spare[2];
    const orderOut = o.orderOut ?? this.spare[3];
    const id = `${e}:${[input, output, perm, orderIn, orderOut].map(idOf).join(':')}`;
    let g = this.groups.get(id);
    if (!g) {
      g = this.cache.bindGroup(`mpm.sort.${e}.bind`, kernel.layout, [this.params, input, this.key, this.counts, this.starts, perm, output, orderIn, orderOut]);
      this.groups.set(id, g);
    }
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, g);
    pass.dispatchWorkgroups(groups, 1, this.shape.batch);
  }

  /**
   * sIn (any order) -> sOut, the same particles ordered by (stencil base node, index in sIn), and
   * perm (sOut's i is sIn's perm[i]). sIn and sOut are distinct particle-record buffers.
   */
  encodeSort(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer): void {
    if (sIn === sOut) throw new Error('particle sort would overwrite its own input: sIn and sOut must differ');
    const pg = Math.ceil(this.shape.n / WG);
    const kg = Math.ceil(this.nKeys / WG);
    this.run(pass, 'count', sIn, sOut, pg);
    this.run(pass, 'scan', sIn, sOut, 1);
    this.run(pass, 'place', sIn, sOut, pg);
    this.run(pass, 'bucket', sIn, sOut, kg);
    this.run(pass, 'gather', sIn, sOut, pg);
  }

  /**
   * The inverse of the last sort's permutation, and the adjoint of its gather: gOut[perm[i]] =
   * gIn[i] for particle records (states or their gradients, in the sorted order -> sIn's order).
   */
  encodeUnsort(pass: GPUComputePassEncoder, gIn: GPUBuffer, gOut: GPUBuffer): void {
    if (gIn === gOut) throw new Error('particle unsort would overwrite its own input: gIn and gOut must differ');
    this.run(pass, 'scatter', gIn, gOut, Math.ceil(this.shape.n / WG));
  }

  /**
   * After encodeSort: order (B x n u32, the scene's index of each particle of sOut) = prev, the
   * order of its sIn (null: the scene's own), composed with perm. prev and order are distinct.
   */
  encodeOrder(pass: GPUComputePassEncoder, prev: GPUBuffer | null, order: GPUBuffer): void {
    if (prev === order) throw new Error('particle order would overwrite its own input: prev and order must differ');
    const [a, b] = [this.spare[0], this.spare[1]];
    this.run(pass, prev ? 'follow' : 'start', a, b, Math.ceil(this.shape.n / WG), { orderIn: prev ?? undefined, orderOut: order });
  }

  /**
   * Moves particle records by a permutation idx (B x n u32): 'gather' dst[i] = src[idx[i]],
   * 'scatter' dst[idx[i]] = src[i] (its inverse). src and dst differ.
   */
  encodePermute(pass: GPUComputePassEncoder, mode: 'gather' | 'scatter', idx: GPUBuffer, src: GPUBuffer, dst: GPUBuffer): void {
    if (src === dst) throw new Error(`particle ${mode} would overwrite its own input: src and dst must differ`);
    this.run(pass, mode, src, dst, Math.ceil(this.shape.n / WG), { perm: idx });
  }

  destroy(): void {
    for (const b of [this.perm, this.key, this.counts, this.starts, this.params, ...this.spare]) b.destroy();
    this.groups.clear();
  }
}
