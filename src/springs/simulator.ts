// The mass-spring / thin-shell simulator on the Simulator interface (src/core/simulator.ts): the
// Model (compiled once: model.ts, layout.ts), per-step kernels (step.wgsl, plastic.wgsl, grid.wgsl)
// and their adjoints (adjoint.wgsl, shell.adj.wgsl), with the control vector's gradient summed over
// the vertices (terms.wgsl), or for a small system in one fused dispatch (adjoint.fused.wgsl). 2D and 3D from one
// source; triangles and hinges exist in 3D only.
import type { GpuContext } from '../gpu/device';
import { createBuffer, readU32, writeBuffer } from '../gpu/buffers';
import { PipelineCache, type BindingKind, type BufferBinding, type ComputeKernel } from '../gpu/pipeline-cache';
import type { ActuationTarget, ParamBlock, ParamSpace, Simulator, SimStatus, StateLayout, StepAdjointIO } from '../core/simulator';
import { checkedParamSpace, checkParamRecord, checkParamValues, checkStateLength, checkStepTable, destroyedError } from '../core/simulator';
import { composePlain } from '../shaders/compose';
import { mpmShaders, springShaders } from '../shaders/index';
import type { SpringScene } from './scene';
import { colliderRow, compileSpringScene, MAT_FIELDS, MAT_STRIDE, type SpringModel } from './model';
import { materialFieldUsed } from './param-names';
import { fastFall, fastGripper, JUMP_HINT_FRACTION } from './fast-grippers';
import { selfContactLimit, stabilityLimit } from './stability';
import { fmt } from '../core/scene-error';
import { gridStride, gridTris, hashSize, MAX_SPAN_CELLS, packModel, packParams, PARAMS_BYTES, SC_CELL, termLayout } from './layout';

const STEP_STRIDE = 256;
const NONE = 0xffffffff;
/** The status buffer's per-step contact records start at this word; QUIET: no self-contact pair (hash.wgsl). */
export const CONTACT_RECORDS = 4;
export const QUIET = 1;
const WG = 64;
/** Workgroups of the split step adjoint's grouped term sums, at most (a workgroup per copy and term; adjoint.terms.wgsl). */
const MAX_TERM_GROUPS = 65535;
/**
 * Most vertices for which the split step adjoint sums each term in one lane (adjoint.terms.wgsl
 * adj_term_sums); past it a workgroup per term (adj_term_sums_grouped). Both give the same bits.
 */
export const LANE_TERM_SUM_MAX_VERTICES = 8192;
/**
 * Workgroups of the replay's element forces, at most (adjoint.pre.wgsl adj_grid_sort_replay loops
 * over the elements): enough for both cores when it runs, few to launch on the steps where it returns at once.
 */
const REPLAY_GROUPS = 16;
/**
 * Self-contact neighbours the split step adjoint's replay keeps per vertex for its gather
 * (adjoint.split.wgsl KEPT_NEIGHBOURS); a vertex with more is searched for again, so no contact is left out.
 */
export const KEPT_NEIGHBOURS = 16;
/** Most vertices the fused step adjoint takes (one workgroup per batch copy, a lane per vertex). */
export const FUSED_MAX_VERTICES = 64;
const UNIFORM = 0x40, COPY_DST = 0x08;

export interface SpringStatus extends SimStatus {
  /**
   * Self-contact searches left out because their box spanned more than MAX_SPAN cells per axis
   * (contact.tri.wgsl: a triangle or the triangles' reach stretched far past the thickness), summed
   * over vertex- and triangle-steps; `contactSkippedStep` the first step that left one out.
   */
  contactSkipped: number;
  contactSkippedStep: number | null;
}

type KernelName = 'step' | 'plastic' | 'tri_elements' | 'hinge_elements' | 'adj_grid_count_near' | 'adj_grid_sort_replay' | 'tri_contact' | 'vertex_contact' | 'grid_count' | 'grid_scan' | 'grid_scatter' | 'grid_sort' | 'grid_reach' | 'adj_lambda' | 'adj_shell_elements' | 'adj_gather' | 'adj_hinge' | 'adj_tri_contact' | 'adj_term_sums' | 'adj_term_sums_grouped' | 'adj_fused';

/**
 * How a step adjoint runs: 'split' in passes (lambda, gather, the sums of the parameter terms) for
 * any size; 'fused' in one dispatch with a workgroup per batch copy
 * (adjoint.fused.wgsl) for a small system; 'auto' fused wherever it fits. Both give the same bits.
 */
export type AdjointPath = 'auto' | 'split' | 'fused';

const decl = {
  p: 'var<uniform> p: Params;',
  st: 'var<uniform> st: Step;',
  model: 'var<storage, read> model: array<u32>;',
  ctrl: 'var<storage, read> ctrl: array<f32>;',
  s_in: 'var<storage, read> s_in: array<f32>;',
  s_out: 'var<storage, read_write> s_out: array<f32>;',
  status: 'var<storage, read_write> status: array<atomic<u32>>;',
  grid: 'var<storage, read> grid: array<u32>;',
  ef: 'var<storage, read_write> ef: array<f32>;',
  grid_rw: 'var<storage, read_write> grid: array<atomic<u32>>;',
  g_out: 'var<storage, read> g_out: array<f32>;',
  lam: 'var<storage, read_write> lam: array<u32>;',
  g_in: 'var<storage, read_write> g_in: array<f32>;',
  terms: 'var<storage, read_write> terms: array<f32>;',
  grad: 'var<storage, read_write> grad: array<f32>;',
  s_next: 'var<storage, read> s_next: array<f32>;',
} as const;
type Decl = keyof typeof decl;
const kindOf = (d: Decl): BindingKind => (d === 'p' ? 'uniform' : d === 'st' ? 'uniform-dynamic' : decl[d].includes('read_write') ? 'rw' : 'read');
const bindings = (names: Decl[]) => names.map((d, i) => `@group(0) @binding(${i}) ${decl[d]}`).join('\n');

const STEP_BINDINGS: Decl[] = ['p', 'st', 'model', 'ctrl', 's_in', 's_out', 'status', 'grid', 'ef'];
const ADJ_BINDINGS: Decl[] = ['p', 'st', 'model', 'ctrl', 's_in', 'g_out', 'lam', 'g_in', 'terms', 'grid', 'ef'];
const GRID_BINDINGS: Decl[] = ['p', 's_in', 'grid_rw', 'model'];
const FUSED_BINDINGS: Decl[] = ['p', 'st', 'model', 'ctrl', 's_in', 'g_out', 'g_in', 'grad', 'grid', 's_next'];
const TERMS_BINDINGS: Decl[] = ['p', 'st', 'terms', 'grad'];
const PRE_BINDINGS: Decl[] = ['p', 'st', 'model', 'ctrl', 's_in', 's_out', 'status', 'grid_rw', 'ef'];

// the adjoint's element functions in 2D, where there are no triangles or hinges
const STUBS_2D = `
fn tri_force(b: u32, k: u32, slot: u32) -> vecD { return vecD(0.0); }
fn hinge_force(b: u32, k: u32, slot: u32) -> vecD { return vecD(0.0); }
fn tri_share(b: u32, k: u32, slot: u32) -> ShellShare { return ShellShare(vecD(0.0), 0u, vec3<f32>(0.0)); }
fn hinge_share(b: u32, k: u32, slot: u32) -> ShellShare { return ShellShare(vecD(0.0), 0u, vec3<f32>(0.0)); }
`;
/** Without vertex-triangle contact (2D, or not asked for) its code is left out: it is slow to compile. */
const NO_VT = `
fn vt_contact(b: u32, i: u32, x: vecD, skipped: ptr<function, u32>) -> vecD { return vecD(0.0); }
fn vt_contact_adjoint(b: u32, i: u32, x: vecD) -> vecD { return vecD(0.0); }
`;

type ModuleName = 'step' | 'adjoint' | 'fused' | 'grid' | 'terms' | 'pre';

/** The fused adjoint's shape: lanes per workgroup (a power of two >= n) and parameter terms. */
interface FusedShape { tw: number; terms: number }

/**
 * Which free vertices' step adjoints skip the replay (idle.wgsl contacts_idle): 'idle' those no
 * contact acted on (the default); 'never' replays every vertex, and 'loose' also skips lightly acting
 * contacts, which is wrong: tests compare the three. All but 'never' also skip the self-contact grid
 * on a quiet step (hash.wgsl contact records).
 */
export type ReplaySkip = 'idle' | 'never' | 'loose';

/** How the split step adjoint sums the parameter terms: 'auto' by size (LANE_TERM_SUM_MAX_VERTICES), or either way by name (tests compare them). */
export type TermSums = 'auto' | 'lane' | 'grouped';
const SKIP_CODE: Record<ReplaySkip, number> = { never: 0, idle: 1, loose: 2 };

function sources(dim: 2 | 3, fused: FusedShape | null, vt: boolean, keptNeighbours: number, skip: ReplaySkip): Record<ModuleName, string> {
  const s = springShaders;
  const skipConst = `const REPLAY_SKIP: u32 = ${SKIP_CODE[skip]}u;`;
  // the contact records' layout, from the constants the host reads them by (contactPairSteps)
  const hash = `const CONTACT_RECORDS: u32 = ${CONTACT_RECORDS}u;\nconst QUIET: u32 = ${QUIET}u;\n${s.hash}`;
  const shared = [skipConst, mpmShaders.contact, s.params, s.model, s.idle, hash, s.forces, s.contact];
  // the split path's triangles write their contacts' corner rows in a pass of their own, the fused path's corners recompute them
  const vtStep = vt ? [s.contactTri, s.contactElements] : [NO_VT];
  const vtAdj = (rows: string) => (dim === 3 && vt ? [s.contactTri, s.contactTriAdj, rows] : [NO_VT]);
  const step = dim === 3 ? [s.slots, s.shell, s.step, s.plastic, s.elements, ...vtStep] : [s.slots, NO_VT, s.step];
  const shellAdj = dim === 3 ? [s.shell, s.shellAdj] : [STUBS_2D];
  // the split path reads the elements' forces and local adjoints from per-entry slots and the
  // vertex-vertex neighbours from the list its replay kept; the fused path recomputes them per vertex
  const kept = `const KEPT_NEIGHBOURS: u32 = ${keptNeighbours}u;`;
  const split = [kept, ...shellAdj, ...(dim === 3 ? [s.elementsAdj] : []), s.slots, s.adjoint, s.contactAdj, ...vtAdj(s.contactElementsAdj), s.adjointSplit];
  const shape = fused ? `const TW: u32 = ${fused.tw}u;\nconst N_TERMS: u32 = ${fused.terms}u;\nconst TERM_WORDS: u32 = ${Math.max(1, fused.terms) * fused.tw}u;` : '';
  return {
    step: composePlain(dim, [bindings(STEP_BINDINGS), ...shared, ...step].join('\n')),
    adjoint: composePlain(dim, [bindings(ADJ_BINDINGS), ...shared, ...split].join('\n')),
    fused: composePlain(dim, [bindings(FUSED_BINDINGS), shape, ...shared, ...shellAdj, s.adjoint, s.contactAdj, ...vtAdj(s.contactTriFused), s.terms, s.adjointFused].join('\n')),
    grid: composePlain(dim, [bindings(GRID_BINDINGS), s.params, hash, s.grid].join('\n')),
    terms: composePlain(dim, [bindings(TERMS_BINDINGS), s.params, s.adjointTerms, s.terms].join('\n')),
    // the split adjoint's flags and replay within the grid rebuild's passes (3D with shells only)
    pre: composePlain(dim, [bindings(PRE_BINDINGS), skipConst, mpmShaders.contact, s.params, s.model, s.idle, hash, s.slots, s.shell, s.elements, s.grid, s.adjointPre].join('\n')),
  };
}

/** Lanes of the fused adjoint's workgroup for n vertices. */
function fusedWidth(n: number): number {
  let tw = 1;
  while (tw < n) tw *= 2;
  return tw;
}

/**
 * Why a model cannot take the fused step adjoint, or null when it can: at most FUSED_MAX_VERTICES
 * vertices, no plastic hinges (their adjoint reads every lam after the gather), and lam and the
 * parameter terms within the device's workgroup memory.
 */
export function fusedAdjointRefusal(m: SpringModel, maxWorkgroupBytes: number): string | null {
  if (m.n > FUSED_MAX_VERTICES) return `${m.n} vertices (allowed up to ${FUSED_MAX_VERTICES})`;
  if (m.plastic) return 'plastic hinges (their rest-angle adjoint is a pass of its own)';
  const tw = fusedWidth(m.n), count = termLayout(m).count;
  const bytes = (tw * 3 * m.dim + Math.max(1, count) * tw) * 4;
  if (bytes > maxWorkgroupBytes) return `${count} parameter terms and ${m.n} vertices need ${bytes} bytes of workgroup memory, the device allows ${maxWorkgroupBytes}`;
  return null;
}

const KERNELS: Record<KernelName, [ModuleName, Decl[]]> = {
  step: ['step', STEP_BINDINGS],
  plastic: ['step', STEP_BINDINGS],
  tri_elements: ['step', STEP_BINDINGS],
  hinge_elements: ['step', STEP_BINDINGS],
  adj_grid_count_near: ['pre', PRE_BINDINGS],
  adj_grid_sort_replay: ['pre', PRE_BINDINGS],
  tri_contact: ['step', STEP_BINDINGS],
  vertex_contact: ['step', STEP_BINDINGS],
  grid_count: ['grid', GRID_BINDINGS],
  grid_scan: ['grid', GRID_BINDINGS],
  grid_scatter: ['grid', GRID_BINDINGS],
  grid_sort: ['grid', GRID_BINDINGS],
  grid_reach: ['grid', GRID_BINDINGS],
  adj_lambda: ['adjoint', ADJ_BINDINGS],
  adj_shell_elements: ['adjoint', ADJ_BINDINGS],
  adj_gather: ['adjoint', ADJ_BINDINGS],
  adj_hinge: ['adjoint', ADJ_BINDINGS],
  adj_tri_contact: ['adjoint', ADJ_BINDINGS],
  adj_term_sums: ['terms', TERMS_BINDINGS],
  adj_term_sums_grouped: ['terms', TERMS_BINDINGS],
  adj_fused: ['fused', FUSED_BINDINGS],
};

function range(start: number, count: number, stride: number, width: number): Uint32Array {
  const r = new Uint32Array(count * width);
  for (let k = 0; k < count; k++) for (let j = 0; j < width; j++) r[k * width + j] = start + k * stride + j;
  return r;
}

/** The blocks of one copy's control vector (model.ts ctrl layout). Material fields no element uses are left out. */
function paramBlocks(m: SpringModel, scene: SpringScene): ParamBlock[] {
  const out: ParamBlock[] = [];
  const used = (k: number, f: number) => materialFieldUsed(scene, k, f);
  for (let k = 0; k < m.nMaterials; k++) {
    MAT_FIELDS.forEach((name, f) => {
      if (!used(k, f)) return;
      out.push({ name: `materials[${k}].${name}`, kind: 'material', indices: Uint32Array.of(k * MAT_STRIDE + f), rowLength: 0, min: name === 'stiffness' ? Number.MIN_VALUE : 0, eps: 1e-6, relative: true });
    });
  }
  const H = m.horizon, d = m.dim, C = m.colliders.length, G = m.nGrippers;
  if (m.nChannels > 0) out.push({ name: 'actuation', kind: 'actuation', indices: range(m.ctrl.actOff, H, m.nChannels, m.nChannels), rowLength: m.nChannels, eps: 1e-6 });
  const len = Math.max(...scene.extent);
  const cr = colliderRow(d), O = cr.spin - cr.orient, W = cr.width - cr.spin;
  for (let c = 0; c < C; c++) {
    const o = m.ctrl.colOff + c * cr.width, stride = C * cr.width;
    out.push({ name: `colliders[${c}].position`, kind: 'track', indices: range(o + cr.pos, H, stride, d), rowLength: d, eps: 1e-6 * len });
    out.push({ name: `colliders[${c}].velocity`, kind: 'track', indices: range(o + cr.vel, H, stride, d), rowLength: d, eps: 1e-6 });
    out.push({ name: `colliders[${c}].orientation`, kind: 'track', indices: range(o + cr.orient, H, stride, O), rowLength: O, eps: 1e-5 });
    out.push({ name: `colliders[${c}].angularVelocity`, kind: 'track', indices: range(o + cr.spin, H, stride, W), rowLength: W, eps: 1e-5 });
  }
  for (let g = 0; g < G; g++) {
    out.push({ name: `grippers[${g}].position`, kind: 'track', indices: range(m.ctrl.gripOff + g * d, H, G * d, d), rowLength: d, eps: 1e-6 * len });
  }
  return out;
}

/** A dt below this fraction of the stability limit makes the materials an unlikely cause of a blow-up. */
const FAR_BELOW = 0.25;

export class SpringSim implements Simulator<SpringStatus> {
  readonly kind: 'springs' | 'shell';
  readonly device: GPUDevice;
  readonly dim: 2 | 3;
  readonly state: StateLayout;
  readonly stateBytes: number;
  readonly state0: Float32Array;
  readonly horizon: number;
  readonly params: ParamSpace;
  paramValues: Float32Array;
  readonly paramGrad: GPUBuffer;
  paramVersion = 0;
  stepsEncoded = 0;
  private destroyed = false;
  readonly workKind: { step: string; adjoint: string };
  readonly itemAttributes: GPUBuffer;
  readonly extent: number[];
  private readonly uniform: GPUBuffer;
  private readonly modelBuf: GPUBuffer;
  private readonly ctrl: GPUBuffer;
  /** [0..3] the rollout's status (step.wgsl, adjoint.pre.wgsl), then with self-contact per step and copy the contact records (hash.wgsl). */
  private status: GPUBuffer;
  private readonly grid: GPUBuffer;
  /**
   * Per copy and adjacency entry, the force its triangle or hinge puts on the vertex (elements.wgsl),
   * then with vertex-triangle contact, per copy and entry, its triangle's contact force, then per
   * copy and vertex its vertex side (contact.elements.wgsl); or in the split step adjoint, once
   * adj_lambda has read the forces, each corner's local adjoint (elements.adj.wgsl; slots.wgsl);
   * a stand-in without shells.
   */
  private readonly elemForces: GPUBuffer;
  private readonly lam: GPUBuffer;
  private readonly terms: GPUBuffer;
  private readonly unused: GPUBuffer;
  /** A second stand-in: one pass must not bind one buffer both writable and read-only. */
  private readonly unusedRead: GPUBuffer;
  private steps: GPUBuffer | null = null;
  private stepCapacity = 0;

  private constructor(readonly gpu: GpuContext, readonly scene: SpringScene, readonly model: SpringModel, readonly batch: number,
    readonly cache: PipelineCache, private readonly k: Record<KernelName, ComputeKernel>, readonly adjointPath: 'split' | 'fused', keptNeighbours: number,
    wrongAdjoint: boolean, private readonly termSums: 'lane' | 'grouped') {
    const dev = (this.device = gpu.device);
    const m = model, d = (this.dim = m.dim), n = m.n, B = batch;
    this.kind = scene.kind;
    this.workKind = { step: `springs.step.${n}`, adjoint: `springs.adjoint.${n}` };
    const nTail = m.plastic ? m.hingeWeight.length : 0;
    this.state = { items: n, stride: 2 * d, position: 'x', fields: [{ name: 'x', offset: 0, length: d }, { name: 'v', offset: d, length: d }],
      ...(nTail ? { tail: [{ name: 'restAngle', length: nTail }] } : {}) };
    this.stateBytes = B * (n * 2 * d + nTail) * 4;
    // copy-major items, then every copy's tail
    this.state0 = new Float32Array(B * (n * 2 * d + nTail));
    for (let b = 0; b < B; b++) {
      this.state0.set(m.state0.subarray(0, n * 2 * d), b * n * 2 * d);
      this.state0.set(m.state0.subarray(n * 2 * d), B * n * 2 * d + b * nTail);
    }
    this.horizon = m.horizon;
    const P = m.ctrl.size;
    this.paramValues = new Float32Array(B * P);
    for (let b = 0; b < B; b++) this.paramValues.set(m.ctrl0, b * P);
    const blocks = paramBlocks(m, scene);
    this.params = checkedParamSpace({
      size: P, blocks,
      values: (b) => Float64Array.from(this.paramValues.subarray(b * P, (b + 1) * P)),
      unpack: (rec, b) => Float64Array.from(rec.subarray(b * P, (b + 1) * P)),
      pack: (rec, b, v) => {
        if (v.length !== P) throw new RangeError(`control vector has ${v.length} entries, expected ${P}`);
        rec.set(Array.from(v), b * P);
      },
    }, B, () => this.paramValues.length);
    const packed = packModel(m);
    this.uniform = createBuffer(dev, 'springs.params', PARAMS_BYTES, UNIFORM | COPY_DST, packParams(m, packed, B, wrongAdjoint));
    this.modelBuf = createBuffer(dev, 'springs.model', packed.words.byteLength, undefined, packed.words);
    this.ctrl = createBuffer(dev, 'springs.ctrl', Math.max(16, this.paramValues.byteLength), undefined, this.paramValues);
    this.paramGrad = createBuffer(dev, 'springs.g_ctrl', Math.max(16, this.paramValues.byteLength));
    this.status = createBuffer(dev, 'springs.status', 16);
    this.grid = createBuffer(dev, 'springs.grid', m.selfContact ? B * gridStride(n, gridTris(m)) * 4 : 16);
    const shells = m.triArea.length + m.hingeWeight.length > 0;
    const split = adjointPath === 'split';
    // the forward: a force (d words) per entry, and with vertex-triangle contact a contact force per entry and
    // per vertex; the split adjoint: a local adjoint (d + 2, slots.wgsl EA_WORDS) per entry, and
    // before those its replay's forces then a flag per vertex (slots.wgsl replay_flag_index), and with
    // vertex-triangle contact, past the local adjoints, each triangle's corner rows of its contacts'
    // derivative (contact.elements.adj.wgsl, 3 d words a triangle)
    const vtTris = m.selfContact?.triangles ? m.triArea.length : 0;
    const forward = (vtTris ? 2 * m.adj.length + n : m.adj.length) * d;
    const words = B * Math.max(forward, split ? Math.max(m.adj.length * (d + 2) + vtTris * 3 * d, m.adj.length * d + n) : 0);
    this.elemForces = createBuffer(dev, 'springs.elem_forces', shells ? Math.max(16, words * 4) : 16);
    // lam, then each vertex's self-contact neighbour count and list (1 + keptNeighbours words; adjoint.split.wgsl)
    this.lam = createBuffer(dev, 'springs.lam', split ? B * n * (3 * d + (m.selfContact ? 1 + keptNeighbours : 0)) * 4 : 16);
    // per copy and term, each vertex's share (adjoint.split.wgsl)
    this.terms = createBuffer(dev, 'springs.terms', split ? Math.max(16, B * termLayout(m).count * n * 4) : 16);
    this.unused = createBuffer(dev, 'springs.unused', 16);
    this.unusedRead = createBuffer(dev, 'springs.unused_read', 16);
    const attrs = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) attrs[2 * i + 1] = 1 / m.invMass[i];
    this.itemAttributes = createBuffer(dev, 'springs.attributes', attrs.byteLength, undefined, attrs);
    this.extent = scene.extent.slice();
    this.resetStatus();
  }

  /**
   * keptNeighbours: the split adjoint's neighbour list capacity (KEPT_NEIGHBOURS by default); tests set
   * it to show that a vertex past it gets the same bits from the grid search as one within it.
   */
  static async create(gpu: GpuContext, scene: SpringScene, opts: { batch?: number; cache?: PipelineCache; wrongAdjoint?: boolean; adjoint?: AdjointPath; keptNeighbours?: number; replaySkip?: ReplaySkip; termSums?: TermSums } = {}): Promise<SpringSim> {
    const cache = opts.cache ?? new PipelineCache(gpu.device);
    const model = compileSpringScene(scene);
    const want = opts.adjoint ?? 'auto';
    if (!['auto', 'split', 'fused'].includes(want)) throw new RangeError(`adjoint = ${String(want)}: allowed 'auto', 'split' or 'fused'`);
    const refusal = want === 'split' ? null : fusedAdjointRefusal(model, gpu.device.limits.maxComputeWorkgroupStorageSize);
    if (want === 'fused' && refusal) throw new RangeError(`adjoint = 'fused': scene '${scene.name}' does not fit one workgroup: ${refusal}`);
    const path = want === 'split' || refusal ? 'split' : 'fused';
    const vt = !!model.selfContact?.triangles;
    const kept = opts.keptNeighbours ?? KEPT_NEIGHBOURS;
    if (!Number.isInteger(kept) || kept < 0 || kept > 256) throw new RangeError(`keptNeighbours = ${kept}: allowed an integer 0 to 256`);
    const skip = opts.replaySkip ?? 'idle';
    if (!(skip in SKIP_CODE)) throw new RangeError(`replaySkip = ${String(skip)}: allowed 'idle', 'never' or 'loose'`);
    const src = sources(model.dim, path === 'fused' ? { tw: fusedWidth(model.n), terms: termLayout(model).count } : null, vt, kept, skip);
    // plastic, the element passes and adj_hinge exist in 3D only (triangles, hinges); a scene compiles one adjoint path
    const only3d: KernelName[] = ['plastic', 'tri_elements', 'hinge_elements', 'adj_grid_count_near', 'adj_grid_sort_replay', 'tri_contact', 'vertex_contact', 'adj_shell_elements', 'adj_hinge', 'adj_tri_contact'];
    const vtOnly: KernelName[] = ['tri_contact', 'vertex_contact', 'adj_tri_contact'];
    const wantSums = opts.termSums ?? 'auto';
    if (!['auto', 'lane', 'grouped'].includes(wantSums)) throw new RangeError(`termSums = ${String(wantSums)}: allowed 'auto', 'lane' or 'grouped'`);
    const sums = wantSums === 'auto' ? (model.n <= LANE_TERM_SUM_MAX_VERTICES ? 'lane' : 'grouped') : wantSums;
    const splitOnly: KernelName[] = ['adj_grid_count_near', 'adj_grid_sort_replay', 'adj_lambda', 'adj_shell_elements', 'adj_gather', 'adj_hinge', 'adj_tri_contact', 'adj_term_sums', 'adj_term_sums_grouped'];
    const names = (Object.keys(KERNELS) as KernelName[]).filter((e) => (model.dim === 3 || !only3d.includes(e)) && (vt || !vtOnly.includes(e))
      && (path === 'fused' ? !splitOnly.includes(e) : e !== 'adj_fused') && e !== (sums === 'lane' ? 'adj_term_sums_grouped' : 'adj_term_sums'));
    const ks = await Promise.all(names.map((e) => {
      const [mod, b] = KERNELS[e];
      const keptTag = (mod === 'adjoint' && kept !== KEPT_NEIGHBOURS ? `.kept${kept}` : '') + (skip !== 'idle' && mod !== 'grid' ? `.${skip}` : '');
      return cache.computeAsync(`springs.${model.dim}d.${e}${vt ? '.vt' : ''}${keptTag}`, src[mod], b.map(kindOf), e);
    }));
    const k = Object.fromEntries(names.map((e, i) => [e, ks[i]])) as Record<KernelName, ComputeKernel>;
    return new SpringSim(gpu, scene, model, opts.batch ?? 1, cache, k, path, kept, !!opts.wrongAdjoint, sums);
  }

  createState(label: string, init?: Float32Array): GPUBuffer {
    if (init) checkStateLength(`createState '${label}'`, init.length, this.stateBytes);
    return createBuffer(this.device, `springs.state.${label}`, this.stateBytes, undefined, init);
  }

  ensureSteps(n: number): void {
    if (n <= this.stepCapacity) return;
    checkStepTable(n, STEP_STRIDE, this.gpu.limits.maxBufferSize);
    const data = new Uint32Array((n * STEP_STRIDE) / 4);
    for (let t = 0; t < n; t++) data.set([t, Math.min(t, this.horizon - 1)], (t * STEP_STRIDE) / 4);
    const steps = createBuffer(this.device, 'springs.steps', data.byteLength, UNIFORM | COPY_DST, data);
    this.steps?.destroy();
    this.steps = steps;
    this.stepCapacity = n;
    if (this.model.selfContact) {
      // a record per step and copy; new ones start at zero ("search")
      const status = createBuffer(this.device, 'springs.status', (CONTACT_RECORDS + n * this.batch) * 4);
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(this.status, 0, status, 0, 16);
      this.device.queue.submit([enc.finish()]);
      this.status.destroy();
      this.status = status;
    }
  }

  private run(pass: GPUComputePassEncoder, name: KernelName, step: number, bufs: BufferBinding[], groups: number): void {
    if (groups === 0) return;
    const k = this.k[name];
    pass.setPipeline(k.pipeline);
    const withStep = KERNELS[name][1].includes('st');
    if (withStep && (!this.steps || step >= this.stepCapacity)) throw new RangeError(`step ${step} beyond the step table; call ensureSteps first`);
    const all = withStep ? [this.uniform, { buffer: this.steps!, size: 16 }, ...bufs] : [this.uniform, ...bufs];
    pass.setBindGroup(0, this.cache.bindGroup(`springs.${name}.bind`, k.layout, all), withStep ? [step * STEP_STRIDE] : []);
    pass.dispatchWorkgroups(groups);
  }

  private get vertexGroups(): number { return Math.ceil((this.model.n * this.batch) / WG); }
  private get hingeGroups(): number { return Math.ceil((this.model.hingeWeight.length * this.batch) / WG); }
  private get triGroups(): number { return Math.ceil((this.model.triArea.length * this.batch) / WG); }
  /** Triangles then hinges of every copy, one lane each (the step adjoint's element passes). */
  private get shellGroups(): number { return Math.ceil(((this.model.triArea.length + this.model.hingeWeight.length) * this.batch) / WG); }
  private get shells(): boolean { return this.model.triArea.length + this.model.hingeWeight.length > 0; }

  /** The forward's per-element force passes (elements.wgsl), with the step module's bindings. */
  private elementDispatches(bufs: BufferBinding[], step: number): [string, (pass: GPUComputePassEncoder) => void][] {
    if (!this.shells) return [];
    return [
      ['tri_elements', (pass) => this.run(pass, 'tri_elements', step, bufs, this.triGroups)],
      ['hinge_elements', (pass) => this.run(pass, 'hinge_elements', step, bufs, this.hingeGroups)],
    ];
  }

  private encodeGrid(pass: GPUComputePassEncoder, s: GPUBuffer): void {
    const sc = this.model.selfContact;
    if (!sc) return;
    const bufs = [s, this.grid, this.modelBuf];
    this.run(pass, 'grid_count', 0, bufs, this.vertexGroups);
    this.run(pass, 'grid_scan', 0, bufs, this.batch);
    this.run(pass, 'grid_scatter', 0, bufs, this.vertexGroups);
    this.run(pass, 'grid_sort', 0, bufs, Math.ceil((hashSize(this.model.n) * this.batch) / WG));
    if (sc.triangles) this.run(pass, 'grid_reach', 0, bufs, this.vertexGroups);
  }

  encodeStep(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    this.stepsEncoded++;
    for (const [, encode] of this.forwardDispatches(sIn, sOut, step)) encode(pass);
  }

  /**
   * The dispatches of one forward step, named, in order: encodeStep encodes them all
   * (scripts/profile-spring-forward.ts times each alone).
   */
  forwardDispatches(sIn: GPUBuffer, sOut: GPUBuffer, step: number): [string, (pass: GPUComputePassEncoder) => void][] {
    const out: [string, (pass: GPUComputePassEncoder) => void][] = [];
    if (this.model.selfContact) out.push(['grid', (pass) => this.encodeGrid(pass, sIn)]);
    const bufs = [this.modelBuf, this.ctrl, sIn, sOut, this.status, this.model.selfContact ? this.grid : this.unusedRead, this.elemForces];
    out.push(...this.elementDispatches(bufs, step));
    if (this.model.selfContact?.triangles) {
      out.push(['tri_contact', (pass) => this.run(pass, 'tri_contact', step, bufs, this.triGroups)]);
      out.push(['vertex_contact', (pass) => this.run(pass, 'vertex_contact', step, bufs, this.vertexGroups)]);
    }
    out.push(['step', (pass) => this.run(pass, 'step', step, bufs, this.vertexGroups)]);
    if (this.model.plastic) out.push(['plastic', (pass) => this.run(pass, 'plastic', step, bufs, this.hingeGroups)]);
    return out;
  }

  clearAdjoint(enc: GPUCommandEncoder): void {
    enc.clearBuffer(this.paramGrad);
  }

  encodeStepAdjoint(pass: GPUComputePassEncoder, io: StepAdjointIO): unknown {
    for (const [, encode] of this.adjointDispatches(io)) encode(pass);
    return undefined;
  }

  /**
   * The dispatches of one step adjoint, named, in order: encodeStepAdjoint encodes them all
   * (scripts/profile-spring-adjoint.ts times each alone).
   */
  adjointDispatches(io: Omit<StepAdjointIO, 'sPrev'>): [string, (pass: GPUComputePassEncoder) => void][] {
    const out: [string, (pass: GPUComputePassEncoder) => void][] = [];
    const grid = this.model.selfContact ? this.grid : this.unusedRead;
    const base = [this.modelBuf, this.ctrl, io.sIn, io.gOut];
    if (this.adjointPath === 'fused') {
      if (this.model.selfContact) out.push(['grid', (pass) => this.encodeGrid(pass, io.sIn)]);
      out.push(['adj_fused', (pass) => this.run(pass, 'adj_fused', io.step, [...base, io.gIn, this.paramGrad, grid, io.sOut], this.batch)]);
      return out;
    }
    // which vertices replay their forces (their contacts acted), the replay's element forces for
    // those (the forward's element functions), both within the grid rebuild's passes (adjoint.pre.wgsl),
    // lam, each element's local adjoint (and with vertex-triangle contact each triangle's contact rows), the gather.
    // adj_lambda reads the step's output velocities where the gather writes g_in (adjoint.split.wgsl next_v)
    const own = [...base, this.lam, io.sOut, this.terms, grid, this.elemForces];
    if (this.shells) out.push([this.model.selfContact ? 'grid_replay' : 'replay', (pass) => this.encodeGridReplay(pass, io)]);
    else if (this.model.selfContact) out.push(['grid', (pass) => this.encodeGrid(pass, io.sIn)]);
    out.push(['adj_lambda', (pass) => this.run(pass, 'adj_lambda', io.step, own, this.vertexGroups)]);
    if (this.shells) {
      out.push(['adj_shell_elements', (pass) => this.run(pass, 'adj_shell_elements', io.step, own, this.shellGroups)]);
      if (this.model.selfContact?.triangles) out.push(['adj_tri_contact', (pass) => this.run(pass, 'adj_tri_contact', io.step, own, this.triGroups)]);
    }
    const gather = [...base, this.lam, io.gIn, this.terms, grid, this.elemForces];
    out.push(['adj_gather', (pass) => this.run(pass, 'adj_gather', io.step, gather, this.vertexGroups)]);
    if (this.model.plastic) out.push(['adj_hinge', (pass) => this.run(pass, 'adj_hinge', io.step, gather, this.hingeGroups)]);
    const nTerms = termLayout(this.model).count * this.batch;
    if (nTerms > 0) {
      const sums = [this.terms, this.paramGrad];
      if (this.termSums === 'lane') out.push(['adj_term_sums', (pass) => this.run(pass, 'adj_term_sums', io.step, sums, Math.ceil(nTerms / WG))]);
      else out.push(['adj_term_sums_grouped', (pass) => this.run(pass, 'adj_term_sums_grouped', io.step, sums, Math.min(nTerms, MAX_TERM_GROUPS))]);
    }
    return out;
  }

  /**
   * The split step adjoint's grid rebuild (3D with shells) with the replay flags in its count pass
   * and the replay's element forces in its sort pass (adjoint.pre.wgsl); without self-contact those
   * two passes do the flags and the replay only. One entry of adjointDispatches: its passes timed
   * one at a time would leave the grid's counts unbalanced.
   */
  private encodeGridReplay(pass: GPUComputePassEncoder, io: Omit<StepAdjointIO, 'sPrev'>): void {
    const sc = this.model.selfContact;
    const pre = [this.modelBuf, this.ctrl, io.sIn, io.sOut, this.status, sc ? this.grid : this.unused, this.elemForces];
    const gridBufs = [io.sIn, this.grid, this.modelBuf];
    const sortGroups = sc ? Math.ceil((hashSize(this.model.n) * this.batch) / WG) : 0;
    this.run(pass, 'adj_grid_count_near', io.step, pre, this.vertexGroups);
    if (sc) {
      this.run(pass, 'grid_scan', 0, gridBufs, this.batch);
      this.run(pass, 'grid_scatter', 0, gridBufs, this.vertexGroups);
    }
    this.run(pass, 'adj_grid_sort_replay', io.step, pre, sortGroups + Math.min(this.shellGroups, REPLAY_GROUPS));
    if (sc?.triangles) this.run(pass, 'grid_reach', 0, gridBufs, this.vertexGroups);
  }

  encodeFinishAdjoint(): void {}

  writeParams(values: Float32Array): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    checkParamRecord(values, this.paramValues.length);
    checkParamValues(this.params, values, this.batch);
    writeBuffer(this.device, this.ctrl, values);
    this.paramValues = values.slice();
    this.paramVersion++;
  }

  resetStatus(): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    writeBuffer(this.device, this.status, Uint32Array.of(NONE, 0, NONE, 0));
  }

  async readStatus(): Promise<SpringStatus> {
    const s = await readU32(this.device, this.status, 0, 3);
    return { badStep: s[0] === NONE ? null : s[0], contactSkipped: s[1], contactSkippedStep: s[2] === NONE ? null : s[2] };
  }

  /**
   * How many of steps 0 .. steps - 1 found a self-contact pair in copy 0 when last run forward
   * (hash.wgsl contact records); null where none are kept (no self-contact, or no triangles or hinges).
   */
  async contactPairSteps(steps: number): Promise<number | null> {
    if (!this.model.selfContact || !this.shells) return null;
    if (!Number.isInteger(steps) || steps < 0 || steps > this.stepCapacity) throw new RangeError(`steps = ${steps}: allowed an integer 0 to ${this.stepCapacity} (the step table)`);
    const rec = await readU32(this.device, this.status, CONTACT_RECORDS, steps * this.batch);
    let pairs = 0;
    for (let t = 0; t < steps; t++) if (rec[t * this.batch] !== QUIET) pairs++;
    return pairs;
  }

  blowUpMessage(s: SpringStatus): string {
    // the limit below which a rest shape can be stable at all (stability.ts), for scale, at the
    // materials last written (an optimizer's or a host program's, not only the scene's)
    const l = this.writtenLimit(), dt = this.scene.dt;
    const whose = l.written ? 'the materials last written (writeParams)' : 'the scene\'s materials';
    const near = Number.isFinite(l.dtMax) ? ` dt is ${fmt(dt / l.dtMax)} of the ${fmt(l.dtMax)} s past which ${whose} are unstable at rest for certain` : '';
    // explicit dashpots lower it: named where they do, with what to change
    const damped = l.dtDamped < 0.98 * l.dtMax ? ` and ${fmt(dt / l.dtDamped)} of about ${fmt(l.dtDamped)} s with the springs' damping` : '';
    const what = damped ? 'stiffness or spring damping' : 'stiffness';
    const head = `${this.scene.name}: a vertex's position or velocity became non-finite or left |x| < 1e7 at step ${s.badStep}`;
    // below the materials' limit, a gripper jumping further than an edge in a step is the likelier cause
    const grip = s.badStep !== null && dt < l.dtMax ? fastGripper(this.scene, this.params, this.batch, s.badStep) : null;
    if (grip) return `${head} (${grip})`;
    const fall = s.badStep !== null && dt < l.dtMax ? fastFall(this.scene, s.badStep) : null;
    if (fall) return `${head} (${fall})`;
    // self-contact's penalty is a spring the materials' limit leaves out
    const pair = selfContactLimit(this.model);
    if (dt < l.dtMax && dt > pair.dtMax) {
      return `${head} (selfContact.stiffness = ${this.scene.selfContact!.stiffness} is too high for dt ${dt}: the lightest free vertex (mass ${fmt(pair.mass)}) pressed against another grows past dt ${fmt(pair.dtMax)} s, and dt is ${fmt(dt / pair.dtMax)} of it; a smaller selfContact.stiffness or dt)`;
    }
    // a gripper moving a good part of an edge a step may have tipped a near-limit step over
    const hint = s.badStep !== null ? fastGripper(this.scene, this.params, this.batch, s.badStep, JUMP_HINT_FRACTION) : null;
    // well inside the limit the materials are an unlikely cause: say so, and what else blows a rollout up
    const limit = Math.min(l.dtMax, l.dtDamped);
    if (Number.isFinite(limit) && dt < FAR_BELOW * limit) {
      const other = hint ?? 'look for vertices that coincide or cross in the initial state, a track that jumps, or a violent impact; a smaller dt otherwise';
      return `${head} (dt ${dt} is ${fmt(dt / limit)} of the ${fmt(limit)} s past which ${whose} are unstable at rest, so they are an unlikely cause: ${other})`;
    }
    return `${head} (is the ${what} too high for dt ${dt}?${near}${damped}${near ? ';' : ''} reduce dt or the ${damped ? 'stiffnesses or the springs\' damping' : 'stiffnesses'}${hint ? `; or: ${hint}` : ''})`;
  }

  /** The stability limit of the material values now in the control record: the least over the copies. */
  private writtenLimit(): { dtMax: number; dtDamped: number; written: boolean } {
    const own = stabilityLimit(this.model);
    let best: { dtMax: number; dtDamped: number; written: boolean } | null = null;
    for (let b = 0; b < this.batch; b++) {
      const v = this.params.values(b);
      // material k's field f is entry k * MAT_STRIDE + f of a copy's vector (paramBlocks)
      let changed = false;
      const materials = this.scene.materials.map((m0, k) => {
        const m = { ...m0 } as unknown as Record<string, number>;
        MAT_FIELDS.forEach((name, f) => {
          const x = v[k * MAT_STRIDE + f];
          if (Math.fround(m[name] ?? 0) !== x) { m[name] = x; changed = true; }
        });
        return m as unknown as SpringScene['materials'][number];
      });
      const l = changed ? { ...stabilityLimit(compileSpringScene({ ...this.scene, materials })), written: true } : { ...own, written: false };
      if (!best || l.dtMax < best.dtMax) best = l;
    }
    return best ?? { ...own, written: false };
  }

  describeStatus(s: SpringStatus): string {
    return s.contactSkipped > 0
      ? `, ${s.contactSkipped} self-contact searches left out from step ${s.contactSkippedStep} on (a triangle stretched past ${MAX_SPAN_CELLS} cells of ${SC_CELL} thicknesses: its contacts were not computed)`
      : '';
  }

  actuationTarget(): ActuationTarget | null {
    const m = this.model;
    return m.nChannels > 0 ? { buffer: this.ctrl, offset: m.ctrl.actOff, copyStride: m.ctrl.size, channels: m.nChannels } : null;
  }

  selection(): { start: number; count: number; weights: Float32Array } {
    return { start: 0, count: this.model.n, weights: Float32Array.from(this.model.invMass, (w) => 1 / w) };
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of [this.uniform, this.modelBuf, this.ctrl, this.paramGrad, this.status, this.grid, this.lam, this.terms, this.unused, this.unusedRead, this.itemAttributes]) b.destroy();
    this.elemForces.destroy();
    this.steps?.destroy();
  }
}
