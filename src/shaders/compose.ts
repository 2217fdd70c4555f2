// Builds a WGSL module for one dimension from the shared sources: the dimension header, the
// prelude, the includes a kernel needs, generated particle accessors, then the kernel itself.
// This is how 2D and 3D come from one source (no twin files).
import { commonShaders, mpmShaders } from './index';

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
    // One Jacobi sweep is exact in 2D; five reach float32 precision for 3x3 matrices.
    `const SVD_SWEEPS: u32 = ${dim === 2 ? 1 : 5}u;`,
    `const SCATTER_RUN: u32 = ${scatterRun(dim)}u;`,
    dim === 2 ? commonShaders.dim2 : commonShaders.dim3,
  ].join('\n');
}

/**
 * Load/store functions for a particle-record buffer named `name` (declared by the kernel):
 * `load_<name>(i) -> Particle` and, when writable, `store_<name>(i, p)`. Generated rather than
 * written out because WGSL cannot pass storage buffers to functions portably.
 */
export function particleAccessors(name: string, writable: boolean): string {
  const load = `fn load_${name}(i: u32) -> Particle {
  var r: Particle;
  let o = i * PSTRIDE;
  for (var d = 0u; d < DIM; d++) { r.x[d] = ${name}[o + d]; r.v[d] = ${name}[o + DIM + d]; }
  for (var j = 0u; j < DIM; j++) {
    for (var d = 0u; d < DIM; d++) {
      r.C[j][d] = ${name}[o + 2u * DIM + j * DIM + d];
      r.F[j][d] = ${name}[o + 2u * DIM + DIM * DIM + j * DIM + d];
    }
  }
  return r;
}`;
  if (!writable) return load;
  return `${load}
fn store_${name}(i: u32, r: Particle) {
  let o = i * PSTRIDE;
  for (var d = 0u; d < DIM; d++) { ${name}[o + d] = r.x[d]; ${name}[o + DIM + d] = r.v[d]; }
  for (var j = 0u; j < DIM; j++) {
    for (var d = 0u; d < DIM; d++) {
      ${name}[o + 2u * DIM + j * DIM + d] = r.C[j][d];
      ${name}[o + 2u * DIM + DIM * DIM + j * DIM + d] = r.F[j][d];
    }
  }
}`;
}

export interface MpmKernelSource {
  body: string;
  /** Particle-record buffers the kernel declares: [name, writable]. */
  particles: [string, boolean][];
}

/** Full source of an MPM kernel for `dim`: every MPM kernel sees params, model, materials, contacts. */
export function composeMpm(dim: Dim, k: MpmKernelSource): string {
  return [
    dimHeader(dim),
    commonShaders.prelude,
    commonShaders.fixedPoint,
    mpmShaders.params,
    mpmShaders.model,
    mpmShaders.material,
    mpmShaders.contact,
    mpmShaders.gridContacts,
    ...k.particles.map(([n, w]) => particleAccessors(n, w)),
    k.body,
  ].join('\n');
}

/** Source of a kernel that needs only the dimension header and the prelude. */
export function composePlain(dim: Dim, body: string): string {
  return [dimHeader(dim), commonShaders.prelude, body].join('\n');
}
