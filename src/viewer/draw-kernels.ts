// The viewer's compute kernels (src/shaders/viewer/pack.wgsl, normals.wgsl): from a simulator's state
// buffer to the buffers three.js draws (positions with radii, colours, shell normals), encoded into the
// frame's command encoder after the steps. Nothing is read back: the state stays on the GPU; colours
// by actuation read the simulator's control record where it is.
import { viewerShaders } from '../shaders/index';
import { createBuffer, writeBuffer } from '../gpu/buffers';
import type { PipelineCache, ComputeKernel } from '../gpu/pipeline-cache';
import type { ColorMode, DrawSource } from './scene-view';

const UNIFORM = 0x40;
const COPY_DST = 0x08;
const STORAGE = 0x80;
const PARAMS_BYTES = 80;
const WORKGROUP = 64;
const NO_FIELD = 0xffffffff;

/** Where the kernels write: buffers of at least n * 16 bytes with STORAGE usage (three's, here). */
export interface DrawTargets {
  draw: GPUBuffer;
  tint: GPUBuffer;
  /** Shells only. */
  normal: GPUBuffer | null;
}

/** The per-vertex triangle lists of a mesh: [n + 1] offsets, then the triangle of each entry. */
export function vertexTriangles(n: number, tris: Uint32Array): Uint32Array {
  const count = new Uint32Array(n + 1);
  for (const v of tris) count[v + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const out = new Uint32Array(n + 1 + tris.length);
  out.set(count);
  const fill = count.slice(0, n);
  for (let k = 0; k < tris.length; k++) out[n + 1 + fill[tris[k]]++] = Math.floor(k / 3);
  return out;
}

/** Colour modes as pack.wgsl numbers them. */
const MODE_CODE: Record<ColorMode, number> = { group: 0, speed: 1, strain: 2, actuation: 3 };

/** pack.wgsl's strain sources: 0 F (MPM), 1 springs, 2 triangles. */
const STRAIN_CODE = { springs: 1, triangles: 2 } as const;

/**
 * pack.wgsl's aux buffer: the per-item actuation channel lists (CSR, [n + 1] offsets then the
 * channels; empty lists without actuation), then the per-group flags, then a spring or shell
 * scene's strain lists (draw-source.ts strainMap). Returns it and where the flags and strain lists start.
 */
export function packAux(src: DrawSource): { aux: Uint32Array; flagsOffset: number; strainOffset: number } {
  const map = src.actuation?.map ?? new Uint32Array(src.n + 1);
  const strain = src.strain?.map ?? new Uint32Array(0);
  const aux = new Uint32Array(map.length + src.groupFlags.length + strain.length);
  aux.set(map);
  aux.set(src.groupFlags, map.length);
  aux.set(strain, map.length + src.groupFlags.length);
  return { aux, flagsOffset: map.length, strainOffset: map.length + src.groupFlags.length };
}

export class DrawKernels {
  private readonly pack: ComputeKernel;
  private readonly normals: ComputeKernel | null;
  private readonly params: GPUBuffer;
  private readonly tris: GPUBuffer | null = null;
  private readonly adj: GPUBuffer | null = null;
  private readonly aux: GPUBuffer;
  private readonly flagsOffset: number;
  private readonly strainOffset: number;
  /** The control record the actuation colours read, or a placeholder. */
  private readonly act: GPUBuffer;
  private readonly ownAct: boolean;
  private readonly groups = new Map<GPUBuffer, GPUBindGroup[]>();
  private readonly raw = new ArrayBuffer(PARAMS_BYTES);
  private row = 0;
  colorMode: ColorMode = 'group';
  /** Radius as a fraction of the particle spacing (MPM). */
  radiusScale = 0.75;

  constructor(private readonly device: GPUDevice, private readonly cache: PipelineCache, readonly src: DrawSource,
    private readonly targets: DrawTargets) {
    const io = ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw'] as const;
    this.pack = cache.compute('viewer.pack', viewerShaders.pack, [...io]);
    this.params = createBuffer(device, 'viewer.draw.params', PARAMS_BYTES, UNIFORM | COPY_DST);
    const { aux, flagsOffset, strainOffset } = packAux(src);
    this.strainOffset = strainOffset;
    this.aux = createBuffer(device, 'viewer.draw.aux', Math.max(16, aux.byteLength), STORAGE | COPY_DST, aux);
    this.flagsOffset = flagsOffset;
    this.ownAct = !src.actuation;
    this.act = src.actuation?.buffer ?? createBuffer(device, 'viewer.draw.no-act', 16, STORAGE | COPY_DST);
    if (src.triangles && targets.normal) {
      this.normals = cache.compute('viewer.normals', viewerShaders.normals, ['uniform', 'read', 'read', 'read', 'rw']);
      this.tris = createBuffer(device, 'viewer.draw.tris', src.triangles.byteLength, STORAGE | COPY_DST, src.triangles);
      const adj = vertexTriangles(src.n, src.triangles);
      this.adj = createBuffer(device, 'viewer.draw.adj', adj.byteLength, STORAGE | COPY_DST, adj);
    } else {
      this.normals = null;
    }
    this.writeParams();
  }

  /** Rewrites the uniform (after a colour mode change). */
  writeParams(): void {
    const s = this.src, u = new Uint32Array(this.raw), f = new Float32Array(this.raw), a = s.actuation;
    u.set([s.n, s.stride, s.dim, s.posOffset, s.velOffset < 0 ? NO_FIELD : s.velOffset, MODE_CODE[this.colorMode]]);
    f.set([s.speedMax, this.radiusScale, s.pointRadius], 6);
    u.set([s.fOffset < 0 ? NO_FIELD : s.fOffset, a?.offset ?? 0, a?.channels ?? 0, this.row, this.flagsOffset], 9);
    f.set([s.strainMax, a?.max ?? 1], 14);
    u.set([s.strain ? STRAIN_CODE[s.strain.kind] : 0, this.strainOffset], 16);
    writeBuffer(this.device, this.params, this.raw);
  }

  /**
   * Encodes one compute pass that fills the targets from `state` (copy 0), the state after `step`
   * steps: its actuation colours are those of the row that step's last step read.
   */
  encode(enc: GPUCommandEncoder, state: GPUBuffer, step = 0): void {
    const a = this.src.actuation;
    const row = a ? Math.min(Math.max(step - 1, 0), a.horizon - 1) : 0;
    if (row !== this.row) {
      this.row = row;
      // queued before the frame's submit, so the pass below reads it; only the actuation colours use it
      this.writeParams();
    }
    const pass = enc.beginComputePass({ label: 'viewer.draw' });
    const [packGroup, normalGroup] = this.bindGroups(state);
    const wg = Math.ceil(this.src.n / WORKGROUP);
    pass.setPipeline(this.pack.pipeline);
    pass.setBindGroup(0, packGroup);
    pass.dispatchWorkgroups(wg);
    if (this.normals && normalGroup) {
      pass.setPipeline(this.normals.pipeline);
      pass.setBindGroup(0, normalGroup);
      pass.dispatchWorkgroups(wg);
    }
    pass.end();
  }

  // One pair of bind groups per state buffer (the runner ping-pongs between two).
  private bindGroups(state: GPUBuffer): GPUBindGroup[] {
    let g = this.groups.get(state);
    if (!g) {
      const t = this.targets;
      g = [this.cache.bindGroup(`viewer.pack.${state.label}`, this.pack.layout, [this.params, state, this.src.model, this.act, this.aux, t.draw, t.tint])];
      if (this.normals && this.tris && this.adj && t.normal) {
        g.push(this.cache.bindGroup(`viewer.normals.${state.label}`, this.normals.layout, [this.params, state, this.tris, this.adj, t.normal]));
      }
      this.groups.set(state, g);
    }
    return g;
  }

  dispose(): void {
    this.groups.clear();
    for (const b of [this.params, this.tris, this.adj, this.aux, this.ownAct ? this.act : null]) b?.destroy();
  }
}
