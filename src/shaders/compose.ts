// Builds a WGSL module for one dimension from the shared sources: the dimension header, the
// prelude, the includes a kernel needs, generated particle accessors, then the kernel itself.
// This is how 2D and 3D come from one source (no twin files).
import { commonShaders, mpmShaders } from './index';
import { nodeWindowWgsl } from './node-window';
import { recordsWgsl } from '../mpm/records';

export type Dim = 2 | 3;

/**
 * Particles per invocation of the scatter kernels: a run of particles sharing a stencil base is
 * summed before its atomics. Scenes store 2^DIM particles per base cell (2 per axis), so this is
 * one run in the interior of a body.
 */
export function scatterRun(dim: Dim): number {
  return dim === 2 ? 4 : 8;
}

function dimHeader(dim: Dim): string {
  return [
    `const DIM: u32 = ${dim}u;`,
    `const STENCIL: u32 = ${3 ** dim}u;`,
    // One Jacobi sweep is exact in 2D; at most five reach float32 precision for 3x3 matrices.
    `const SVD_SWEEPS: u32 = ${dim === 2 ? 1 : 5}u;`,
    `const SCATTER_RUN: u32 = ${scatterRun(dim)}u;`,
    dim === 2 ? commonShaders.dim2 : commonShaders.dim3,
  ].join('\n');
}

/**
 * Load/store functions for a particle-record buffer named `name`, declared by the kernel as
 * `array<vec4<f32>>`: `load_<name>(i) -> Particle` and, when writable, `store_<name>(i, p)`.
 * The record (x, v, C, F; see params.wgsl) is PSTRIDE = 2 DIM + 2 DIM^2 floats, a whole number of
 * vec4s in 2D (3) and 3D (6), and is moved as vec4s: a CPU driver (lavapipe) turns every access
 * with a per-lane address into a loop over the lanes, and a vec4 takes one trip of that loop (one
 * mask test and address per lane) where four f32s would take four.
 * Generated with constant component indices rather than loops over DIM: WGSL cannot pass storage
 * buffers to functions, and constant indices keep a driver from spilling vectors to memory.
 */
export function particleAccessors(dim: Dim, name: string, writable: boolean): string {
  const comp = 'xyzw';
  const words = (2 * dim + 2 * dim * dim) / 4;
  // the record's scalars in memory order, as (field expression, vec4 word, component)
  const fields: { expr: string; src: string }[] = [];
  const push = (expr: string) => { const f = fields.length; fields.push({ expr, src: `w${f >> 2}.${comp[f & 3]}` }); };
  for (const v of ['x', 'v']) for (let d = 0; d < dim; d++) push(`r.${v}.${comp[d]}`);
  for (const m of ['C', 'F']) for (let j = 0; j < dim; j++) for (let d = 0; d < dim; d++) push(`r.${m}[${j}].${comp[d]}`);
  const at = (f: number) => fields[f].src;
  const vec = (f0: number) => `vecD(${Array.from({ length: dim }, (_, d) => at(f0 + d)).join(', ')})`;
  const mat = (f0: number) => `matD(${Array.from({ length: dim }, (_, j) => vec(f0 + j * dim)).join(', ')})`;
  const loads = Array.from({ length: words }, (_, k) => `  let w${k} = ${name}[o + ${k}u];`).join('\n');
  const load = `fn load_${name}(i: u32) -> Particle {
  let o = i * ${words}u;
${loads}
  return Particle(${vec(0)}, ${vec(dim)}, ${mat(2 * dim)}, ${mat(2 * dim + dim * dim)});
}`;
  if (!writable) return load;
  const stores = Array.from({ length: words }, (_, k) =>
    `  ${name}[o + ${k}u] = vec4<f32>(${fields.slice(4 * k, 4 * k + 4).map((f) => f.expr).join(', ')});`).join('\n');
  return `${load}
fn store_${name}(i: u32, r: Particle) {
  let o = i * ${words}u;
${stores}
}`;
}

export interface MpmKernelSource {
  body: string;
  /** Particle-record buffers the kernel declares: [name, writable]. */
  particles: [string, boolean][];
  /** Whether the kernel uses the node window (node-window.ts). */
  nodeWindow?: boolean;
}

/**
 * Full source of an MPM kernel for `dim`: every MPM kernel sees params, model, materials, contacts.
 * subgroupSize: the device's subgroup size where it has the `subgroups` feature and a fixed size
 * (GpuContext), else null; only a kernel that uses the node window reads it.
 */
export function composeMpm(dim: Dim, k: MpmKernelSource, subgroupSize: number | null = null): string {
  const win = k.nodeWindow ? nodeWindowWgsl(dim, subgroupSize) : null;
  return [
    ...(win?.directives ? [win.directives] : []),
    dimHeader(dim),
    commonShaders.prelude,
    commonShaders.fixedPoint,
    recordsWgsl(dim),
    mpmShaders.params,
    mpmShaders.model,
    mpmShaders.material,
    mpmShaders.contact,
    mpmShaders.gridContacts,
    mpmShaders.g2pAdjTerms,
    ...k.particles.map(([n, w]) => particleAccessors(dim, n, w)),
    ...(win ? [win.code] : []),
    k.body,
  ].join('\n');
}

/** Source of a kernel that needs only the dimension header and the prelude. */
export function composePlain(dim: Dim, body: string): string {
  return [dimHeader(dim), commonShaders.prelude, body].join('\n');
}
