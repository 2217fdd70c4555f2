// MPM on the GPU for one packed scene and B batch copies: owns the model, control, grid and
// scratch buffers and encodes the stages into a compute pass. It never submits: the caller
// (a rollout, a test) decides when to submit and what to read back.
import type { GpuContext } from '../gpu/device';
import type { ActuationTarget, ItemOrder, ParamSpace, Simulator, SimStatus, StateLayout, StepAdjointIO } from '../core/simulator';
import { checkedParamSpace, checkParamRecord, checkParamValues, checkStateLength, checkStepTable, destroyedError } from '../core/simulator';
import { mpmParamSpace } from './param-space';
import { createBuffer, readU32, writeBuffer } from '../gpu/buffers';
import type { MpmScene } from './scene';
import { buildMpmKernels, type MpmKernels } from './kernels';
import { colliderGradSlots, GROUP_STRIDE, groupRecordsFit, packMpm, packSteps, paramsCtrlGroupsByte, particleStride, STEP_STRIDE, TRACK_STRIDE, type PackedMpm } from './layout';
import { SceneError, SORT_EVERY_ALLOWED } from './schema';
import { CFL_SAFETY, waveSpeed } from './validate';
import { accWords, GROUP_CTRL, PARTICLE_WG, STEP_INFO } from './records';
import { packTargeted, Reducer, targetLayers, type TargetedSegment } from '../gpu/reduce';
import { PipelineCache, type BufferBinding, type ComputeKernel } from '../gpu/pipeline-cache';
import { scatterRun } from '../shaders/compose';
import { ParticleSorter } from './sort';

/** Workgroup size of the particle and scatter kernels, and the side of the node kernels' 8 x 8. */
const WG = PARTICLE_WG;
const NODE_WG = 8;
type Shape = 'particles' | 'runs' | 'nodes';
/** Floats per node record (grid_v; adj_node has two): a vec4, velocity (or its gradient) first, mass (or its gradient) last. */
export const NODE_FLOATS = 4;
const UNIFORM = 0x40;
const COPY_DST = 0x08;

export interface MpmStatus extends SimStatus {
  /** Particle-steps whose position was clamped back into the grid. */
  clamped: number;
  /** A grid node left the fixed-point range (8x a cell's rest mass, or that mass at dx/dt). */
  fixedPointOverflow: boolean;
}

/** The message for a rollout that blew up. */
function blowUpMessage(status: MpmStatus, dx: number, dt: number, active: string | null): string {
  const why = status.fixedPointOverflow
    ? 'a grid node exceeded the fixed-point range (8x the rest mass of a cell, or that mass moving at dx/dt)'
    : `a particle velocity or deformation became non-finite or its speed exceeded dx/dt = ${(dx / dt).toPrecision(3)}`;
  if (active) return `rollout blew up at step ${status.badStep}: ${why}. ${active}; else reduce dt, the stiffness or the speeds.`;
  return `rollout blew up at step ${status.badStep}: ${why}. Reduce dt, the stiffness or the speeds.`;
}

/**
 * The actuated group whose active stress stiffens it most, where that exceeds its own material's
 * stiffness (the actuator then, not E, is what outruns dt): 2 |a| strength |fiber|^2 against the
 * P-wave modulus, at the largest |a| of its channel in steps 0 .. last of any copy's controls.
 */
/** A ratio as a user reads it: 5.4, 540, 5.4e+29 (Math.round prints 17 digits past 1e21). */
function timesText(r: number): string {
  return r < 10 ? r.toFixed(1) : r < 1e6 ? String(Math.round(r)) : r.toExponential(1);
}

function dominantActuator(scene: MpmScene, ctrl: (b: number) => Float64Array, batch: number, act: { indices: Uint32Array; rowLength: number } | undefined, last: number): string | null {
  if (!act) return null;
  const n = act.rowLength, rows = Math.min(act.indices.length / n, last + 1);
  let best: { text: string; ratio: number } | null = null;
  scene.groups.forEach((g, k) => {
    if (!g.actuator) return;
    const ch = g.actuator.channel;
    let aMax = 0;
    for (let b = 0; b < batch; b++) {
      const v = ctrl(b);
      for (let t = 0; t < rows; t++) aMax = Math.max(aMax, Math.abs(v[act.indices[t * n + ch]]));
    }
    const active = 2 * aMax * Math.abs(g.actuator.strength) * g.actuator.fiber.reduce((t, c) => t + c * c, 0);
    const own = waveSpeed(g, scene.dim) ** 2 * g.density;
    if (active > own && (!best || active / own > best.ratio)) {
      best = { ratio: active / own, text: `The actuator of groups[${k}] "${g.name}" stiffens it ${timesText(active / own)}x beyond its material (strength ${g.actuator.strength} at |a| up to ${aMax.toPrecision(3)} in actuation channel ${ch}): lower the strength or the activations` };
    }
  });
  return (best as { text: string } | null)?.text ?? null;
}

/**
 * The group whose material as written (sim.writeParams: an optimizer's E or nu, not the scene's)
 * puts dt above its stability limit, 0.9 dx / c (validateScene's check, made at the scene's own
 * materials): the likeliest cause of a blow-up while E is tuned.
 */
function unstableMaterial(scene: MpmScene, ctrl: (b: number) => Float64Array, batch: number, blocks: readonly { name: string; indices: Uint32Array }[]): string | null {
  let worst: { text: string; dtMax: number } | null = null;
  scene.groups.forEach((g, k) => {
    const E = blocks.find((b) => b.name === `groups[${k}].E`), nu = blocks.find((b) => b.name === `groups[${k}].nu`);
    if (!E || !nu) return;
    for (let b = 0; b < batch; b++) {
      const v = ctrl(b);
      const w = { ...g, E: v[E.indices[0]], nu: v[nu.indices[0]] };
      const dtMax = (CFL_SAFETY * scene.grid.dx) / waveSpeed(w, scene.dim);
      if (scene.dt > dtMax && (!worst || dtMax < worst.dtMax)) {
        const copy = batch > 1 ? ` in batch copy ${b}` : '';
        worst = { dtMax, text: `groups[${k}] "${g.name}" as written (E = ${w.E.toPrecision(4)}, nu = ${w.nu.toPrecision(4)}${copy}) needs dt <= ${dtMax.toPrecision(3)}, below the scene's ${scene.dt} (the scene's own: E = ${g.E}, nu = ${g.nu}): lower E or nu, or dt` };
      }
    }
  });
  return (worst as { text: string } | null)?.text ?? null;
}

/**
 * Workgroups of a particle or scatter kernel's dispatch for `groups` workgroups per batch copy:
 * rows of at most `maxPerDim` on x, as many rows as needed on y (their lengths as even as they
 * can be, so the last row's spare workgroups are fewer than the rows), the copies on z. One row
 * wherever it fits, so a scene that fits one row is dispatched as it always was (params.wgsl).
 */
export function particleRows(groups: number, batch: number, maxPerDim: number): [number, number, number] {
  const rows = Math.max(1, Math.ceil(groups / maxPerDim));
  return [Math.ceil(groups / rows), rows, batch];
}

/** What of a scene its buffer sizes depend on (a size can be checked before its particles exist). */
export interface DeviceShape {
  dim: MpmScene['dim'];
  grid: { res: number[] };
  particles: { group: { length: number } };
  colliders: { length: number };
}

/**
 * Refuses, before any buffer exists, a scene whose buffers or dispatches this device cannot hold,
 * naming the field, the size and the device's limit. Particle dispatches fold a batch copy's
 * workgroups into rows (particleRows), so buffer sizes, not the dispatch, bound the particles.
 */
export function checkDeviceLimits(scene: DeviceShape, batch: number, limits: Record<string, number>): void {
  const d = scene.dim;
  const n = scene.particles.group.length;
  const nodes = scene.grid.res.reduce((a, r) => a * r, 1);
  const binding = Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity);
  const perBuffer = `at most ${binding} bytes per buffer on this device`;
  const state = batch * n * particleStride(d) * 4;
  const gridRes = `[${scene.grid.res.join(', ')}] x ${batch} copies`;
  if (state > binding) throw new SceneError('particles', `${n} particles x ${batch} copies (${state} bytes of state)`, perBuffer);
  // the largest node buffers: p2g's accumulator, the adjoint's node records and collider terms
  const grid = batch * nodes * accWords(d) * 4;
  if (grid > binding) throw new SceneError('grid.res', `${gridRes} (${grid} bytes of grid)`, perBuffer);
  const adjNode = batch * nodes * 2 * NODE_FLOATS * 4;
  if (adjNode > binding) throw new SceneError('grid.res', `${gridRes} (${adjNode} bytes of adjoint node records)`, perBuffer);
  const colNode = batch * scene.colliders.length * colliderGradSlots(d).length * nodes * 4;
  if (colNode > binding) {
    throw new SceneError('grid.res', `${gridRes} with ${scene.colliders.length} colliders (${colNode} bytes of per-node collider gradients)`, perBuffer);
  }
  // p2g orders a run's particles by keys node * SCATTER_RUN + offset in one u32 (run_order, p2g.wgsl)
  const maxNodes = Math.floor(2 ** 32 / scatterRun(d));
  if (nodes > maxNodes) throw new SceneError('grid.res', `[${scene.grid.res.join(', ')}] (${nodes} nodes)`, `at most ${maxNodes} nodes per batch copy`);
  const groups = limits.maxComputeWorkgroupsPerDimension ?? 65535;
  // dispatch shapes: see workgroups() below and params.wgsl
  const res = [...scene.grid.res, 1, 1];
  const maxParticles = groups * groups * WG;
  if (n > maxParticles) throw new SceneError('particles', `${n} particles`, `at most ${maxParticles} per batch copy on this device (${groups} x ${groups} workgroups of ${WG})`);
  if (batch > groups) throw new RangeError(`batch = ${batch} copies: allowed at most ${groups} on this device (one dispatch layer per copy)`);
  if (res[0] > groups * NODE_WG || res[1] > groups * NODE_WG || res[2] * batch > groups) {
    throw new SceneError('grid.res', gridRes, `at most ${groups * NODE_WG} nodes on x and y and ${groups} on z times the batch copies on this device`);
  }
}

let nextId = 1;
let nextSimId = 1;
const ids = new WeakMap<GPUBuffer, number>();
function idOf(b: GPUBuffer): number {
  let id = ids.get(b);
  if (id === undefined) { id = nextId++; ids.set(b, id); }
  return id;
}

/** Adjoint scratch, created on first use so forward-only runs do not pay for it. */
interface AdjointBuffers {
  /** [B][N][2][DIM + DIM^2]: g2p adjoint's partial dL/d(x, F), then its scatter terms. */
  gLocal: GPUBuffer;
  adjMax: GPUBuffer;
  /** Per node (dL/dmv, dL/dm), then (v, m) of the recomputed grid update: grid_update.adj.wgsl. */
  adjNode: GPUBuffer;
  gColNode: GPUBuffer;
  /** [B][3][N]: dL/dE, dL/dnu accumulated over the rollout; dL/da of the current step. */
  gParticle: GPUBuffer;
  /** Same layout as ctrl: dL/d(group params, actuation, collider tracks). */
  gCtrl: GPUBuffer;
  /** The sums into gCtrl (Reducer.encodeTargetedSum): dL/da per group and copy into its channel. */
  actSegments: SegmentLayer[];
  /** dL/d(collider track) per copy, collider and component, from g_col_node. */
  colSegments: SegmentLayer[];
  /** dL/dE and dL/dnu per group and copy, once after the last step adjoint. */
  paramSegments: SegmentLayer[];
}

/** Targeted segments (packTargeted) whose outputs are distinct, for one dispatch. */
interface SegmentLayer { buffer: GPUBuffer; count: number }

/** Refuses a sortEvery that is not an integer >= 0, naming the field, the value and the range. */
export function checkSortEvery(sortEvery: number): void {
  if (!(Number.isInteger(sortEvery) && sortEvery >= 0)) {
    throw new RangeError(`sortEvery = ${sortEvery}: allowed ${SORT_EVERY_ALLOWED}`);
  }
}

/**
 * The particle sort of a simulator with sortEvery = k > 0 (docs/design.md, "Particle order"): step
 * t sorts its input first where k divides t, and reads it in sort e = floor(t / k)'s order, whose
 * scene indices orders[e] holds ([B][N] u32: p2g, g2p and their adjoints read each particle's model
 * record through it). The state the step writes (step t + 1's input) stays in that order.
 */
interface SortState {
  every: number;
  sorter: ParticleSorter;
  orders: GPUBuffer[];
  /** A sort step's input in its sorted order. */
  sorted: GPUBuffer;
}

export class MpmSim implements Simulator<MpmStatus> {
  readonly kind = 'mpm';
  readonly device: GPUDevice;
  readonly dim: 2 | 3;
  readonly stateFloats: number;
  readonly paramsBuf: GPUBuffer;
  readonly modelBuf: GPUBuffer;
  readonly ctrlBuf: GPUBuffer;
  readonly gridAcc: GPUBuffer;
  /** Node records (v after contacts, m) of the last grid update, at the nodes its particles reach (tiles.wgsl). */
  readonly gridV: GPUBuffer;
  /** Per node tile, the last step (+ 1) whose particles reached it: tiles.wgsl. */
  readonly tileStamp: GPUBuffer;
  readonly statusBuf: GPUBuffer;
  private stepBuf: GPUBuffer;
  /** Counts writeParams calls, so a rollout can tell that its forward ran with other controls. */
  paramVersion = 0;
  stepsEncoded = 0;
  private destroyed = false;
  readonly state: StateLayout;
  readonly params: ParamSpace;
  /** The packed control record as last written (writeParams). */
  paramValues: Float32Array;
  private stepCapacity = 0;
  private adj: AdjointBuffers | null = null;
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly owned: GPUBuffer[] = [];
  /** Keys of this simulator's work for the GPU pacer (src/gpu/pacer.ts): a step, a step adjoint. */
  readonly workKind: { step: string; adjoint: string };
  /** Steps between particle sorts (0: never), and the sort's buffers. */
  readonly sortEvery: number;
  private readonly sort: SortState | null;
  /** Bound as `order` (model.wgsl) where no kernel reads it: unsorted kernels, grid kernels. */
  private readonly noOrder: GPUBuffer;
  /** The rollout's view of the particle order (core/simulator.ts), where this simulator sorts. */
  readonly itemOrder?: ItemOrder;

  private constructor(
    readonly gpu: GpuContext,
    readonly scene: MpmScene,
    readonly packed: PackedMpm,
    readonly cache: PipelineCache,
    readonly kernels: MpmKernels,
    /** The most workgroups a dispatch takes per dimension (the device's, or lower: create). */
    private readonly maxGroups: number,
    /** Sums the per-particle and per-node control gradients into gCtrl. */
    private readonly reducer: Reducer,
    sorter: ParticleSorter | null,
    sortEvery: number,
  ) {
    const d = packed.dim;
    const dev = (this.device = gpu.device);
    this.dim = d;
    const id = nextSimId++;
    this.workKind = { step: `mpm${id}.step`, adjoint: `mpm${id}.adjoint` };
    this.stateFloats = packed.batch * packed.n * particleStride(d);
    const nodes = packed.batch * packed.nodes;
    const mk = (label: string, bytes: number, usage?: number, init?: ArrayBufferView | ArrayBuffer) => {
      const b = createBuffer(dev, `mpm.${label}`, bytes, usage, init);
      this.owned.push(b);
      return b;
    };
    this.paramsBuf = mk('params', packed.params.byteLength, UNIFORM | COPY_DST, packed.params);
    this.modelBuf = mk('model', packed.model.byteLength, undefined, packed.model);
    this.ctrlBuf = mk('ctrl', packed.ctrl.byteLength, undefined, packed.ctrl);
    this.gridAcc = mk('grid_acc', nodes * accWords(d) * 4); // see ACC_STRIDE and acc_grad_word in params.wgsl
    // one vec4 per node (velocity in the first d floats, mass in the fourth): node_rec in dim2.wgsl
    this.gridV = mk('grid_v', nodes * NODE_FLOATS * 4);
    const [rx, ry, rz] = packed.res;
    this.tileStamp = mk('tile_stamp', packed.batch * Math.ceil(rx / NODE_WG) * Math.ceil(ry / NODE_WG) * rz * 4);
    this.statusBuf = mk('status', 16, undefined, new Uint32Array([0, 0xffffffff, 0, 0]));
    this.stepBuf = this.makeStepBuf(Math.max(packed.horizon, 1) + 1);
    const dd = d * d;
    this.state = {
      items: packed.n, stride: particleStride(d), position: 'x',
      fields: [{ name: 'x', offset: 0, length: d }, { name: 'v', offset: d, length: d }, { name: 'C', offset: 2 * d, length: dd }, { name: 'F', offset: 2 * d + dd, length: dd }],
    };
    this.paramValues = packed.ctrl.slice();
    this.params = checkedParamSpace(mpmParamSpace(scene, packed, () => this.paramValues), this.batch, () => this.paramValues.length);
    this.noOrder = mk('no_order', 16);
    this.sortEvery = sorter ? sortEvery : 0;
    this.sort = sorter ? { every: this.sortEvery, sorter, orders: [], sorted: mk('sort.sorted', this.stateBytes) } : null;
    if (this.sort) {
      this.ensureOrders();
      this.itemOrder = {
        isUserOrder: (t) => this.stateOrder(t) === null,
        stateOrder: (t) => this.stateOrder(t),
        encodeToUser: (pass, src, dst, t) => this.encodeReorder(pass, 'scatter', src, dst, t),
        encodeFromUser: (pass, src, dst, t) => this.encodeReorder(pass, 'gather', src, dst, t),
        bytes: () => this.sortBytes(),
      };
    }
  }

  /**
   * opts.subgroups: false builds every kernel without subgroup operations (for tests: the node
   * window of p2g's adjoint must give the same bytes as direct loads); default: the device's.
   * opts.limits: lower limits than the device's to check the scene against and shape the
   * dispatches by (for tests: a small maxComputeWorkgroupsPerDimension folds a small scene's
   * particle dispatches into several rows, as a device's real limit does a huge one's).
   */
  static async create(gpu: GpuContext, scene: MpmScene,
    opts: { batch?: number; cache?: PipelineCache; subgroups?: boolean; limits?: Record<string, number>; sortEvery?: number } = {}): Promise<MpmSim> {
    const limits = { ...gpu.limits };
    for (const [k, v] of Object.entries(opts.limits ?? {})) limits[k] = Math.min(v, limits[k] ?? Infinity);
    const sortEvery = opts.sortEvery ?? 0;
    checkSortEvery(sortEvery);
    checkDeviceLimits(scene, opts.batch ?? 1, limits);
    const packed = packMpm(scene, opts.batch ?? 1);
    const cache = opts.cache ?? new PipelineCache(gpu.device);
    const kernels = await buildMpmKernels(cache, packed.dim, opts.subgroups === false ? null : gpu.subgroupSize, sortEvery > 0);
    const reducer = new Reducer(gpu.device, cache);
    await reducer.ready();
    const sorter = sortEvery > 0
      ? await ParticleSorter.create(gpu.device, cache, { dim: packed.dim, n: packed.n, batch: packed.batch, dx: scene.grid.dx, res: scene.grid.res })
      : null;
    return new MpmSim(gpu, scene, packed, cache, kernels, limits.maxComputeWorkgroupsPerDimension ?? 65535, reducer, sorter, sortEvery);
  }

  get batch(): number { return this.packed.batch; }
  get state0(): Float32Array { return this.packed.state0; }
  get horizon(): number { return this.packed.horizon; }
  get paramGrad(): GPUBuffer { return this.adjoint.gCtrl; }
  /** The model record's head is [N][group, vol] (model.wgsl). */
  get itemAttributes(): GPUBuffer { return this.modelBuf; }
  get extent(): number[] { return this.scene.grid.res.map((r) => r * this.scene.grid.dx); }
  get stateBytes(): number { return this.stateFloats * 4; }

  createState(label: string, init?: Float32Array): GPUBuffer {
    if (init) checkStateLength(`createState '${label}'`, init.length, this.stateBytes);
    return createBuffer(this.device, `mpm.state.${label}`, this.stateBytes, undefined, init);
  }

  /** Step records 0..n-1 exist after this (step k: {k, min(k, horizon - 1)}). */
  ensureSteps(n: number): void {
    if (n <= this.stepCapacity) return;
    const most = Math.floor(this.gpu.limits.maxBufferSize / STEP_STRIDE);
    checkStepTable(n, STEP_STRIDE, this.gpu.limits.maxBufferSize);
    // the new table first: a failure leaves the old one in place
    const old = this.stepBuf;
    this.stepBuf = this.makeStepBuf(Math.min(most, Math.max(n, 2 * this.stepCapacity)));
    old.destroy();
    this.groups.clear();
    this.ensureOrders();
  }

  /** One order record per sort the step table's steps can make (the ones kept: a backward may still read them). */
  private ensureOrders(): void {
    const s = this.sort;
    if (!s) return;
    const { n, batch } = this.packed;
    while (s.orders.length < Math.ceil(this.stepCapacity / s.every)) s.orders.push(this.makeOwned(`sort.order${s.orders.length}`, batch * n * 4));
  }

  private makeOwned(label: string, bytes: number): GPUBuffer {
    const b = createBuffer(this.device, `mpm.${label}`, bytes);
    this.owned.push(b);
    return b;
  }

  /** Whether step t sorts its input (sortEvery divides t). */
  sortsAt(t: number): boolean {
    return this.sort !== null && t >= 0 && t % this.sort.every === 0;
  }

  /** The order step t's kernels read particles in (the placeholder where nothing sorts). */
  private stepOrder(t: number): GPUBuffer {
    return this.sort ? this.sort.orders[Math.floor(t / this.sort.every)] : this.noOrder;
  }

  /** The order of the state after t steps from the scene's (null: the scene's own, as state 0's). */
  private stateOrder(t: number): GPUBuffer | null {
    return this.sort && t > 0 ? this.stepOrder(t - 1) : null;
  }

  /** dst = src (a state after t steps, or dL/d it) in the scene's order ('scatter') or back ('gather'). */
  private encodeReorder(pass: GPUComputePassEncoder, mode: 'gather' | 'scatter', src: GPUBuffer, dst: GPUBuffer, t: number): void {
    const order = this.stateOrder(t);
    if (!order) throw new Error(`state ${t} is in the scene's order already: copy it`);
    this.sort!.sorter.encodePermute(pass, mode, order, src, dst);
  }

  /** Bytes the sort keeps besides the states of a tape: its order records and a scratch state. */
  private sortBytes(): number {
    const s = this.sort;
    return s ? s.orders.length * this.packed.batch * this.packed.n * 4 + this.stateBytes : 0;
  }


  private makeStepBuf(n: number): GPUBuffer {
    const data = packSteps(n, this.packed.horizon);
    const buf = createBuffer(this.device, 'mpm.steps', data.byteLength, UNIFORM | COPY_DST, data);
    this.stepCapacity = n;
    return buf;
  }

  private bind(kernel: ComputeKernel, label: string, buffers: GPUBuffer[], order: GPUBuffer): GPUBindGroup {
    const key = `${label}:${idOf(order)}:${buffers.map(idOf).join(',')}`;
    let g = this.groups.get(key);
    if (!g) {
      const head: BufferBinding[] = [this.paramsBuf, { buffer: this.stepBuf, offset: 0, size: 16 }, this.modelBuf, this.ctrlBuf, order];
      g = this.cache.bindGroup(`mpm.${label}.bind`, kernel.layout, [...head, ...buffers]);
      this.groups.set(key, g);
    }
    return g;
  }

  /** Workgroup counts of each dispatch shape (see params.wgsl: no kernel divides per lane). */
  private workgroups(shape: Shape): [number, number, number] {
    const { n, batch, res } = this.packed;
    if (shape === 'particles') return particleRows(Math.ceil(n / WG), batch, this.maxGroups);
    if (shape === 'runs') return particleRows(Math.ceil(Math.ceil(n / scatterRun(this.dim)) / WG), batch, this.maxGroups);
    return [Math.ceil(res[0] / NODE_WG), Math.ceil(res[1] / NODE_WG), res[2] * batch];
  }

  private dispatch(pass: GPUComputePassEncoder, kernel: ComputeKernel, label: string, buffers: GPUBuffer[], step: number, shape: Shape): void {
    if (step >= this.stepCapacity) throw new RangeError(`step ${step} beyond the step table (${this.stepCapacity}); call ensureSteps first`);
    pass.setPipeline(kernel.pipeline);
    // grid kernels read no particle: they bind the placeholder, one bind group for all steps
    const order = shape === 'nodes' ? this.noOrder : this.stepOrder(step);
    pass.setBindGroup(0, this.bind(kernel, label, buffers, order), [step * STEP_STRIDE]);
    pass.dispatchWorkgroups(...this.workgroups(shape));
  }

  encodeP2G(pass: GPUComputePassEncoder, sIn: GPUBuffer, step: number): void {
    this.dispatch(pass, this.kernels.p2g, 'p2g', [sIn, this.gridAcc, this.tileStamp], step, 'runs');
  }

  encodeGridUpdate(pass: GPUComputePassEncoder, step: number): void {
    this.dispatch(pass, this.kernels.gridUpdate, 'grid_update', [this.gridAcc, this.gridV, this.statusBuf, this.tileStamp], step, 'nodes');
  }

  encodeG2P(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void {
    if (sIn === sOut) throw new Error('g2p would overwrite its own input: stages read `in` and write `out`');
    this.dispatch(pass, this.kernels.g2p, 'g2p', [sIn, this.gridV, sOut, this.statusBuf], step, 'particles');
  }

  /**
   * One MLS-MPM step: state sIn at `step` -> state sOut at step + 1. Where the step sorts
   * (sortsAt), it first sorts sIn into a scratch state and records the new order; sOut is in it.
   */
  encodeStep(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    this.stepsEncoded++;
    let src = sIn;
    if (this.sort && this.sortsAt(step)) {
      const { sorter, orders, every, sorted } = this.sort;
      if (sIn === sorted || sOut === sorted) throw new Error('the sort\'s scratch state is not a rollout state');
      const e = step / every;
      sorter.encodeSort(pass, sIn, sorted);
      sorter.encodeOrder(pass, e > 0 ? orders[e - 1] : null, orders[e]);
      src = sorted;
    }
    this.encodeP2G(pass, src, step);
    this.encodeGridUpdate(pass, step);
    this.encodeG2P(pass, src, sOut, step);
  }

  get adjoint(): AdjointBuffers {
    if (!this.adj) this.adj = this.makeAdjoint();
    return this.adj;
  }

  private makeAdjoint(): AdjointBuffers {
    const { batch: B, n: N, nodes, dim: d, nColliders: C, nGroups: G, groupRanges, ctrlLayout: lay, horizon: T, nAct } = this.packed;
    const mk = (label: string, bytes: number, init?: ArrayBufferView) => {
      const b = createBuffer(this.device, `mpm.adj.${label}`, bytes, undefined, init);
      this.owned.push(b);
      return b;
    };
    // The control gradient's sums (encodeSegments): g_particle is [B][3][N] (dL/dE, dL/dnu,
    // dL/da per particle), g_col_node [B][C][slots][nodes]; rowStep: a step's stride in ctrl.
    const act: TargetedSegment[] = [];
    const col: TargetedSegment[] = [];
    const slots = colliderGradSlots(d); // g_col_node's components, in order
    const par: TargetedSegment[] = [];
    for (let b = 0; b < B; b++) {
      this.scene.groups.forEach((g, k) => {
        const [start, count] = groupRanges[k];
        if (count === 0) return;
        const rec = lay.groupsOff + (b * G + k) * GROUP_STRIDE;
        par.push({ offset: (b * 3 + 0) * N + start, count, target: rec + GROUP_CTRL.E, rowStep: 0 });
        par.push({ offset: (b * 3 + 1) * N + start, count, target: rec + GROUP_CTRL.nu, rowStep: 0 });
        if (g.actuator) act.push({ offset: (b * 3 + 2) * N + start, count, target: lay.actOff + b * T * nAct + g.actuator.channel, rowStep: nAct });
      });
      for (let c = 0; c < C; c++) {
        slots.forEach((slot, comp) => {
          col.push({ offset: ((b * C + c) * slots.length + comp) * nodes, count: nodes, target: lay.colOff + (b * T * C + c) * TRACK_STRIDE + slot, rowStep: C * TRACK_STRIDE });
        });
      }
    }
    // groups that share an actuation channel add into one entry: one layer per such group
    const layers = (label: string, segs: TargetedSegment[]) => targetLayers(segs).map((l, i) => ({ buffer: mk(`${label}${i}`, l.length * 16, packTargeted(l)), count: l.length }));
    return {
      gLocal: mk('g_local', B * N * particleStride(d) * 4), // a particle record per particle: see g2p_adj_terms.wgsl
      adjMax: mk('adj_max', B * 2 * 4), // two words per copy, by step parity: adj_slot in params.wgsl
      adjNode: mk('adj_node', B * nodes * 2 * NODE_FLOATS * 4),
      gColNode: mk('g_col_node', B * C * slots.length * nodes * 4),
      gParticle: mk('g_particle', B * 3 * N * 4),
      gCtrl: mk('g_ctrl', lay.size * 4),
      actSegments: layers('act_segments', act),
      colSegments: layers('col_segments', col),
      paramSegments: layers('param_segments', par),
    };
  }

  /** Zeroes the adjoint accumulators before a backward pass. */
  clearAdjoint(enc: GPUCommandEncoder): void {
    const a = this.adjoint;
    for (const b of [a.adjMax, a.gParticle, a.gCtrl]) enc.clearBuffer(b);
  }

  /**
   * g2p's local adjoint (per particle): sIn, sOut (the state g2p wrote from sIn at `step`) and gOut
   * = dL/dsOut -> gLocal (partial dL/d(x, F) and the scatter terms) and adjMax (their bound).
   * Inside a rollout's segment the fused p2g adjoint of step + 1 has done this already.
   */
  encodeG2PAdjLocal(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, gOut: GPUBuffer, step: number): void {
    const a = this.adjoint;
    this.dispatch(pass, this.kernels.g2pAdjLocal, 'g2p_adj.local', [sIn, sOut, gOut, a.gLocal, a.adjMax], step, 'particles');
  }

  /**
   * p2g of `step` replayed from sIn for its adjoint, with g2p adjoint's scatter of gLocal in the
   * same pass (p2g.wgsl): fills gridAcc with the forward's sums and dL/dv. Needs g2p's local
   * adjoint of this step to have run.
   */
  encodeP2GReplay(pass: GPUComputePassEncoder, sIn: GPUBuffer, step: number): void {
    const a = this.adjoint;
    this.dispatch(pass, this.kernels.p2gReplay, 'p2g.replay', [sIn, this.gridAcc, this.tileStamp, a.gLocal, a.adjMax], step, 'runs');
  }

  /**
   * Adjoint of grid_update, which it recomputes from gridAcc (the replay of `step`) and clears:
   * dL/dv -> adjNode (dL/dmv, dL/dm, and the grid velocity) and per-node collider grads.
   */
  encodeGridUpdateAdj(pass: GPUComputePassEncoder, step: number): void {
    const a = this.adjoint;
    this.dispatch(pass, this.kernels.gridUpdateAdj, 'grid_update_adj', [this.gridAcc, a.adjMax, a.adjNode, a.gColNode, this.tileStamp], step, 'nodes');
  }

  /**
   * Adjoint of p2g (and g2p's adjoint through the stencil weights): adjNode + gLocal -> gIn =
   * dL/d(state at step). With sPrev (the state at step - 1), g2p's local adjoint of step - 1 into
   * gLocal instead, straight from that gradient, and gIn is not written (fused: p2g.adj.wgsl).
   */
  encodeP2GAdj(pass: GPUComputePassEncoder, sIn: GPUBuffer, gIn: GPUBuffer, step: number, sPrev: GPUBuffer | null = null): void {
    const a = this.adjoint;
    if (sPrev && step < 1) throw new RangeError('step 0 has no previous state to fuse');
    const kernel = sPrev ? this.kernels.p2gAdjFused : this.kernels.p2gAdj;
    const label = sPrev ? 'p2g_adj.fused' : 'p2g_adj';
    // the plain kernel does not read state_prev: sIn fills its binding
    this.dispatch(pass, kernel, label, [sIn, a.adjNode, a.gLocal, gIn, a.gParticle, a.adjMax, sPrev ?? sIn], step, 'particles');
  }

  /** Per-step control gradients (actuation, collider tracks) from this step's per-particle/node terms. */
  encodeCtrlGrads(pass: GPUComputePassEncoder, step: number): void {
    const a = this.adjoint;
    this.encodeSegments(pass, a.actSegments, a.gParticle, step);
    this.encodeSegments(pass, a.colSegments, a.gColNode, step);
  }

  /**
   * Adjoint of step `step` (state sIn -> sOut): g2p's local adjoint, p2g replayed from sIn with
   * g2p adjoint's scatter, the grid update's adjoint (which recomputes the update itself), then
   * p2g's adjoint. gOut holds dL/d(state at step + 1); writes dL/d(state at step) to gIn. The
   * forward step `step` must have run since the last change of controls (its p2g bound is read).
   * Chaining (the hint): given sPrev, the state at step - 1, p2g's adjoint also writes g2p's local
   * terms of step - 1 straight from dL/d(state at step), which it then leaves unwritten in gIn
   * (nothing reads it), and returns true; the adjoint of step - 1, passed that hint, skips its own
   * local adjoint. Without sPrev and hint it is the standalone adjoint.
   */
  encodeStepAdjoint(pass: GPUComputePassEncoder, io: StepAdjointIO, hint?: unknown): boolean {
    const { sIn, sOut, gOut, gIn, step } = io;
    if (gIn === gOut) throw new Error('the step adjoint would overwrite its own input gradient');
    // Sorting: a sort step re-sorts its input as its forward did (the same order, bit for bit) and
    // runs the adjoint on that; the sort's adjoint (unsort) then takes dL/d(sorted input) back to
    // sIn's order. Nothing fuses across a sort: where step or step - 1 sorts, the state before
    // this step is not in the order step - 1's kernels read.
    const sorts = this.sortsAt(step);
    const sPrev = sorts || this.sortsAt(step - 1) ? null : io.sPrev;
    const src = sorts ? this.sort!.sorted : sIn;
    // dL/d(sorted input) goes to gOut, which nothing reads after g2p's local adjoint (StepAdjointIO)
    const g = sorts ? gOut : gIn;
    if (sorts) this.sort!.sorter.encodeSort(pass, sIn, src);
    if (hint !== true) this.encodeG2PAdjLocal(pass, src, sOut, gOut, step);
    this.encodeP2GReplay(pass, src, step);
    this.encodeGridUpdateAdj(pass, step);
    this.encodeP2GAdj(pass, src, g, step, sPrev);
    this.encodeCtrlGrads(pass, step);
    if (sorts) this.sort!.sorter.encodeUnsort(pass, g, gIn);
    return sPrev !== null;
  }

  /** After the last step adjoint: sums dL/dE and dL/dnu per group into gCtrl. */
  encodeFinishAdjoint(pass: GPUComputePassEncoder): void {
    const a = this.adjoint;
    this.encodeSegments(pass, a.paramSegments, a.gParticle, 0);
  }

  /**
   * Adds each segment's sum to its entry of gCtrl, at the row of the step's control (ctrl_step of
   * the step table), through the reducer: a fixed order of summation, no float atomics.
   */
  private encodeSegments(pass: GPUComputePassEncoder, layers: SegmentLayer[], src: GPUBuffer, step: number): void {
    if (step >= this.stepCapacity) throw new RangeError(`step ${step} beyond the step table (${this.stepCapacity}); call ensureSteps first`);
    const row = { buffer: this.stepBuf, offset: step * STEP_STRIDE, word: STEP_INFO.word.ctrl_step };
    for (const l of layers) this.reducer.encodeTargetedSum(pass, src, l, this.adjoint.gCtrl, { accumulate: true, row });
  }

  /** Replaces the control record (group params, actuation, collider tracks) of all batch copies. */
  writeParams(ctrl: Float32Array): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    checkParamRecord(ctrl, this.packed.ctrl.length);
    checkParamValues(this.params, ctrl, this.batch);
    writeBuffer(this.device, this.ctrlBuf, ctrl);
    // the params uniform's copy of the group records (load_group in model.wgsl) follows
    const { nGroups, batch, ctrlLayout: lay } = this.packed;
    if (groupRecordsFit(nGroups, batch)) {
      writeBuffer(this.device, this.paramsBuf, ctrl.subarray(lay.groupsOff, lay.groupsOff + batch * nGroups * GROUP_STRIDE), paramsCtrlGroupsByte(nGroups));
    }
    this.paramValues = ctrl.slice();
    this.paramVersion++;
  }

  resetStatus(): void {
    if (this.destroyed) throw destroyedError(this.scene.name);
    writeBuffer(this.device, this.statusBuf, new Uint32Array([0, 0xffffffff, 0, 0]));
  }

  async readStatus(): Promise<MpmStatus> {
    const s = await readU32(this.device, this.statusBuf, 0, 3);
    return { clamped: s[0], badStep: s[1] === 0xffffffff ? null : s[1], fixedPointOverflow: s[2] !== 0 };
  }

  blowUpMessage(status: MpmStatus): string {
    const act = this.params.blocks.find((b) => b.name === 'actuation');
    const ctrl = (b: number) => this.params.values(b);
    const hints = [unstableMaterial(this.scene, ctrl, this.batch, this.params.blocks), dominantActuator(this.scene, ctrl, this.batch, act, status.badStep ?? this.horizon)];
    const hint = hints.filter((h) => h !== null).join('; or: ');
    return blowUpMessage(status, this.scene.grid.dx, this.scene.dt, hint || null);
  }

  describeStatus(status: MpmStatus): string {
    return status.clamped ? `, ${status.clamped} particle-steps clamped at the grid edge` : '';
  }

  actuationTarget(): ActuationTarget | null {
    const { nAct, horizon, ctrlLayout } = this.packed;
    return nAct > 0 ? { buffer: this.ctrlBuf, offset: ctrlLayout.actOff, copyStride: horizon * nAct, channels: nAct } : null;
  }

  selection(group?: number): { start: number; count: number; weights: Float32Array } {
    const { n, groupRanges, model } = this.packed;
    const [start, count] = group === undefined ? [0, n] : groupRanges[group];
    // a particle's mass: density x volume ([N][group, vol] at the head of the model record)
    const weights = Float32Array.from({ length: count }, (_, k) => this.scene.groups[model[2 * (start + k)]].density * model[2 * (start + k) + 1]);
    return { start, count, weights };
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of this.owned) b.destroy();
    this.reducer.destroy();
    this.sort?.sorter.destroy();
    this.stepBuf.destroy();
    this.groups.clear();
  }
}
