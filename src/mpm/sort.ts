// Reorders each batch copy's particles by stencil base node on the GPU, deterministically
// (sort.wgsl: a bitonic network over distinct (key, index) pairs, no atomics), so that p2g's runs
// of consecutive particles share bases again once material has mixed (issue 20).
// Encodes into a pass; never submits. Not yet part of a rollout (docs/design.md, "Particle order").
import { createBuffer } from '../gpu/buffers';
import type { BindingKind, ComputeKernel, PipelineCache } from '../gpu/pipeline-cache';
import { mpmShaders } from '../shaders/index';
import { particleStride } from './layout';

const WG = 64;
const UNIFORM = 0x40;
/** Bytes between the stage records (k, j): minUniformBufferOffsetAlignment's largest allowed value. */
const STAGE_STRIDE = 256;
const BINDINGS: BindingKind[] = ['uniform', 'uniform-dynamic', 'read', 'rw', 'rw', 'rw'];

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

/** The (k, j) stages of a bitonic network over n2 = 2^m elements, in order. */
export function bitonicStages(n2: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 2; k <= n2; k *= 2) for (let j = k / 2; j >= 1; j /= 2) out.push([k, j]);
  return out;
}

/** p2g's run key of a particle at x (sort.wgsl, keys): its stencil base node, clamped to [-1, res] per axis. */
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

export class ParticleSorter {
  /** [B][n]: perm[b][i] = the index, in the input's order, of the particle the output holds at i. */
  readonly perm: GPUBuffer;
  private readonly pairs: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly stages: GPUBuffer;
  private readonly nStages: number;
  private readonly n2: number;
  private readonly groups = new Map<string, GPUBindGroup>();

  private constructor(
    readonly device: GPUDevice,
    private readonly cache: PipelineCache,
    readonly shape: SortShape,
    private readonly k: { keys: ComputeKernel; bitonic: ComputeKernel; gather: ComputeKernel; scatter: ComputeKernel },
  ) {
    const { n, batch, res } = shape;
    this.n2 = 2 ** Math.ceil(Math.log2(Math.max(n, 2)));
    const st = bitonicStages(this.n2);
    this.nStages = st.length;
    const stageData = new Uint32Array((Math.max(st.length, 1) * STAGE_STRIDE) / 4);
    st.forEach(([k, j], s) => { stageData[(s * STAGE_STRIDE) / 4] = k; stageData[(s * STAGE_STRIDE) / 4 + 1] = j; });
    this.stages = createBuffer(device, 'mpm.sort.stages', stageData.byteLength, UNIFORM, stageData);
    const p = new ArrayBuffer(32);
    const u = new Uint32Array(p);
    u[0] = n;
    u[1] = this.n2;
    new Float32Array(p)[2] = Math.fround(1 / shape.dx);
    for (let d = 0; d < 3; d++) u[4 + d] = res[d] ?? 1;
    this.params = createBuffer(device, 'mpm.sort.params', 32, UNIFORM, new Uint8Array(p));
    this.pairs = createBuffer(device, 'mpm.sort.pairs', batch * this.n2 * 8);
    this.perm = createBuffer(device, 'mpm.sort.perm', batch * n * 4);
  }

  static async create(device: GPUDevice, cache: PipelineCache, shape: SortShape, maxGroups = device.limits.maxComputeWorkgroupsPerDimension): Promise<ParticleSorter> {
    const n2 = 2 ** Math.ceil(Math.log2(Math.max(shape.n, 2)));
    if (n2 / WG > maxGroups) throw new RangeError(`particle sort: ${shape.n} particles need ${n2 / WG} workgroups in one dimension: allowed at most ${maxGroups * WG} (rounded up to a power of two)`);
    if (shape.batch > maxGroups) throw new RangeError(`particle sort: batch = ${shape.batch} copies: allowed at most ${maxGroups}`);
    const code = [`const DIM: u32 = ${shape.dim}u;`, `const PSTRIDE: u32 = ${particleStride(shape.dim)}u;`, `const WG: u32 = ${WG}u;`, mpmShaders.sort].join('\n');
    const mk = (entry: string) => cache.computeAsync(`mpm${shape.dim}d.sort.${entry}`, code, BINDINGS, entry);
    const [keys, bitonic, gather, scatter] = await Promise.all([mk('keys'), mk('bitonic'), mk('gather'), mk('scatter')]);
    return new ParticleSorter(device, cache, shape, { keys, bitonic, gather, scatter });
  }

  private bind(kernel: ComputeKernel, name: string, input: GPUBuffer, output: GPUBuffer): GPUBindGroup {
    const key = `${name}:${idOf(input)}:${idOf(output)}`;
    let g = this.groups.get(key);
    if (!g) {
      g = this.cache.bindGroup(`mpm.sort.${name}.bind`, kernel.layout, [this.params, { buffer: this.stages, offset: 0, size: 8 }, input, this.pairs, this.perm, output]);
      this.groups.set(key, g);
    }
    return g;
  }

  private run(pass: GPUComputePassEncoder, kernel: ComputeKernel, name: string, input: GPUBuffer, output: GPUBuffer, count: number, offset = 0): void {
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.bind(kernel, name, input, output), [offset]);
    pass.dispatchWorkgroups(Math.ceil(count / WG), 1, this.shape.batch);
  }

  /**
   * sIn (any order) -> sOut, the same particles sorted by (stencil base node, index in sIn), and
   * perm (sOut's i is sIn's perm[i]). sIn and sOut are distinct particle-record buffers.
   */
  encodeSort(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer): void {
    if (sIn === sOut) throw new Error('particle sort would overwrite its own input: sIn and sOut must differ');
    this.run(pass, this.k.keys, 'keys', sIn, sOut, this.n2);
    for (let s = 0; s < this.nStages; s++) this.run(pass, this.k.bitonic, 'bitonic', sIn, sOut, this.n2, s * STAGE_STRIDE);
    this.run(pass, this.k.gather, 'gather', sIn, sOut, this.shape.n);
  }

  /**
   * The inverse of the last sort's permutation, and the adjoint of its gather: gOut[perm[i]] =
   * gIn[i] for particle records (states or their gradients, in the sorted order -> sIn's order).
   */
  encodeUnsort(pass: GPUComputePassEncoder, gIn: GPUBuffer, gOut: GPUBuffer): void {
    if (gIn === gOut) throw new Error('particle unsort would overwrite its own input: gIn and gOut must differ');
    this.run(pass, this.k.scatter, 'scatter', gIn, gOut, this.shape.n);
  }

  /** Dispatches of one encodeSort: for the GPU pacer's estimates. */
  get dispatches(): number { return this.nStages + 2; }

  destroy(): void {
    for (const b of [this.perm, this.pairs, this.params, this.stages]) b.destroy();
    this.groups.clear();
  }
}
