// A closed-loop MLP controller around any Simulator with actuation (MPM's actuators, actuated
// springs): itself a Simulator, so the checkpointed rollout, gradcheck, the losses and the
// optimizers drive it unchanged. Each step, a controller kernel computes the features of every
// batch copy from the state (features.wgsl), the MLP writes that step's actuation row into the inner
// simulator's control record (mlp.wgsl), then the inner step runs. The step adjoint recomputes the
// features and the row, runs the inner step adjoint (which adds dL/d(actuation row) into the inner
// control gradient), then the MLP's adjoint (mlp.adj.wgsl) moves that row's gradient into the
// weights' gradient and dL/d(features), and features.adj.wgsl adds dL/d(features) d(features)/d(state)
// to dL/d(state at step). No weights or states are read back; no float atomics.
//
// Where the inner simulator reorders its items (MPM's sortEvery: Simulator.itemOrder), the state at
// step t holds them in an order of its own: the feature kernels and their adjoint bind that order
// (itemOrder.stateOrder(t), or an identity order for a state in the user's order) and read item
// p's mass fraction at the user's index order[b][p]. The sums then run in another order than an
// unsorted rollout's, so features agree with its to float32 rounding, not bit for bit.
//
// The control vector of a copy is the inner simulator's (its actuation entries, which the
// controller overwrites, in no block) followed by the copy's weights (block 'controller').
import { createBuffer, readF32, writeBuffer } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { BindingKind, BufferBinding, ComputeKernel, PipelineCache } from '../gpu/pipeline-cache';
import type { ActuationTarget, ItemOrder, ParamBlock, ParamSpace, Simulator, SimStatus, StateLayout, StepAdjointIO } from '../core/simulator';
import { checkedParamSpace, checkParamRecord, positionField } from '../core/simulator';
import { show } from '../core/scene-error';
import { controlShaders } from '../shaders/index';
import { controllerLayout, goalOf, initialWeights, weightsOf, type ControllerLayout, type ControllerSpec } from './controller';

const STEP_STRIDE = 256;
const WG = 64;
const COPY_GROUPS = 64;
const UNIFORM = 0x40, COPY_DST = 0x08;

type KernelName = 'control_forward' | 'control_adjoint' | 'copy_grad';

const decl: Record<string, string> = {
  st: 'var<uniform> st: Step;',
  model: 'var<storage, read> model: array<f32>;',
  order: 'var<storage, read> order: array<u32>;',
  s_in: 'var<storage, read> s_in: array<f32>;',
  goal: 'var<storage, read> goal: array<f32>;',
  feat_rw: 'var<storage, read_write> feat: array<f32>;',
  feat: 'var<storage, read> feat: array<f32>;',
  weights: 'var<storage, read> weights: array<f32>;',
  ctrl: 'var<storage, read_write> ctrl: array<f32>;',
  g_ctrl: 'var<storage, read_write> g_ctrl: array<f32>;',
  g_w: 'var<storage, read_write> g_w: array<f32>;',
  g_in: 'var<storage, read_write> g_in: array<f32>;',
  src: 'var<storage, read> src: array<f32>;',
  dst: 'var<storage, read_write> dst: array<f32>;',
};
const kindOf = (d: string): BindingKind => (d === 'st' ? 'uniform-dynamic' : decl[d].includes('read_write') ? 'rw' : 'read');

const KERNELS: Record<KernelName, { bind: string[]; src: string[] }> = {
  control_forward: { bind: ['st', 'model', 's_in', 'goal', 'weights', 'feat_rw', 'ctrl'], src: [controlShaders.mlpCommon, controlShaders.features, controlShaders.mlp] },
  control_adjoint: { bind: ['st', 'model', 's_in', 'goal', 'weights', 'g_ctrl', 'g_w', 'g_in'], src: [controlShaders.mlpCommon, controlShaders.features, controlShaders.mlpAdj] },
  copy_grad: { bind: ['src', 'dst'], src: [controlShaders.copy] },
};

/**
 * A kernel's bindings and source: the controller's kernels read m_i / M through `mass_fraction`, which
 * also reads the state's order (bound after the model) where the inner simulator reorders items.
 */
function kernelOf(name: KernelName, sorted: boolean): { bind: string[]; src: string[] } {
  const { bind, src } = KERNELS[name];
  if (name === 'copy_grad') return { bind, src };
  const fraction = sorted
    ? 'fn mass_fraction(b: u32, p: u32) -> f32 { return model[order[b * N + p]]; } // the user\'s item order[b][p]'
    : 'fn mass_fraction(b: u32, p: u32) -> f32 { return model[p]; }';
  return { bind: sorted ? bind.flatMap((x) => (x === 'model' ? [x, 'order'] : [x])) : bind, src: [fraction, ...src] };
}

const f32 = (x: number) => `${Math.fround(x)}`;
const u32s = (a: number[]) => `array<u32, ${a.length}>(${a.map((x) => `${x}u`).join(', ')})`;

/** The WGSL constants of one controlled simulator (sizes, offsets, the layout of controller.ts). */
function constants(c: { lay: ControllerLayout; batch: number; state: StateLayout; act: ActuationTarget; gradOffset: number; fault: boolean }): string {
  const { lay, state, act } = c;
  const NONE = 0xffffffff;
  const v = state.fields.find((f) => f.name === 'v');
  const L = lay.sizes.length - 1;
  const units = [0];
  for (let l = 1; l <= L; l++) units.push(units[l - 1] + lay.sizes[l - 1]);
  const rates = lay.phaseRate.length ? lay.phaseRate : [0];
  const shift = lay.goalLength ? lay.goalShift : [0], scale = lay.goalLength ? lay.goalScale : [1];
  const f32s = (a: number[]) => `array<f32, ${a.length}>(${a.map(f32).join(', ')})`;
  const u = (name: string, x: number) => `const ${name}: u32 = ${x >>> 0}u;`;
  const at = (x: number) => (x < 0 ? NONE : x);
  return [
    u('NONE', NONE), u('B', c.batch), u('N', state.items), u('STRIDE', state.stride), u('DIM', lay.dim),
    u('X_OFF', positionField(state).offset), u('V_OFF', v ? v.offset : NONE),
    u('NF', lay.features), u('F_COM', at(lay.com)), u('F_VEL', at(lay.vel)), u('F_PHASE', at(lay.phase)), u('N_PHASE', lay.phaseRate.length),
    u('F_GOAL', at(lay.goal)), u('N_GOAL', lay.goalLength),
    u('NL', L), u('N_UNITS', units[L] + lay.sizes[L]), u('NW', lay.weights),
    u('ACT_OFF', act.offset), u('ACT_COPY', act.copyStride), u('A', act.channels), u('G_W_OFF', c.gradOffset),
    u('COPY_N', c.gradOffset), u('COPY_GROUPS', COPY_GROUPS),
    `const SCALE: f32 = ${f32(lay.scale)};`,
    `const FAULT: f32 = ${c.fault ? '1.05' : '1.0'};`,
    `var<private> PHASE_RATE: array<f32, ${rates.length}> = ${f32s(rates)};`,
    `var<private> GOAL_SHIFT: array<f32, ${shift.length}> = ${f32s(shift)};`,
    `var<private> GOAL_SCALE: array<f32, ${scale.length}> = ${f32s(scale)};`,
    `var<private> SIZES: array<u32, ${L + 1}> = ${u32s(lay.sizes)};`,
    `var<private> W_OFF: array<u32, ${L}> = ${u32s(lay.weightOffsets)};`,
    `var<private> U_OFF: array<u32, ${L + 1}> = ${u32s(units)};`,
    'struct Step { t: u32, row: u32 }',
  ].join('\n');
}

export interface ControlledOptions {
  /** The scene's time step (phase inputs) and steps (the default period). */
  dt: number;
  steps: number;
  /** The MLP adjoint with its hidden-layer term scaled by 1.05 (tests that gradcheck can fail). */
  wrongAdjoint?: boolean;
}

export class ControlledSim<Status extends SimStatus = SimStatus> implements Simulator<Status> {
  readonly layout: ControllerLayout;
  readonly params: ParamSpace;
  paramValues: Float32Array;
  readonly paramGrad: GPUBuffer;
  paramVersion = 0;
  readonly workKind: { step: string; adjoint: string };
  /** m_i / M of every item (float32, as the kernels read them), and each copy's initial centre of mass [B][dim]. */
  readonly massFraction: Float32Array;
  readonly com0: Float32Array;
  /** Floats of the inner simulator's packed control record (the head of this one's). */
  readonly innerRecord: number;
  private readonly act: ActuationTarget;
  private readonly weights: GPUBuffer;
  private readonly goal: GPUBuffer;
  private readonly feat: GPUBuffer;
  private readonly model: GPUBuffer;
  /** Where the inner simulator reorders its items: [B][N] u32 identity, the order of a state in the user's. */
  private readonly identity: GPUBuffer | null;
  /** The inner simulator's, its bytes with the identity order's. */
  readonly itemOrder?: ItemOrder;
  private steps: GPUBuffer | null = null;
  private stepCapacity = 0;
  private goals: number[][];

  private constructor(readonly inner: Simulator<Status>, readonly spec: ControllerSpec, lay: ControllerLayout, act: ActuationTarget,
    private readonly k: Record<KernelName, ComputeKernel>) {
    const dev = inner.device, B = inner.batch, W = lay.weights, N = inner.state.items, d = inner.dim;
    this.layout = lay;
    this.act = act;
    this.workKind = { step: `${inner.workKind.step}.mlp`, adjoint: `${inner.workKind.adjoint}.mlp` };
    const Li = (this.innerRecord = inner.paramValues.length), Pi = inner.params.size;
    const w0 = spec.weights ? weightsOf(spec.weights, lay) : initialWeights(lay, spec.seed ?? 1);
    this.paramValues = new Float32Array(Li + B * W);
    this.paramValues.set(inner.paramValues);
    for (let b = 0; b < B; b++) this.paramValues.set(w0, Li + b * W);
    const blocks: ParamBlock[] = inner.params.blocks.filter((bl) => bl.kind !== 'actuation');
    blocks.push({ name: 'controller', kind: 'controller', indices: Uint32Array.from({ length: W }, (_, i) => Pi + i), rowLength: 0, eps: 1e-6 });
    const innerParams = inner.params;
    this.params = checkedParamSpace({
      size: Pi + W, blocks,
      values: (b) => this.params.unpack(this.paramValues, b),
      unpack: (rec, b) => {
        const out = new Float64Array(Pi + W);
        out.set(innerParams.unpack(rec.subarray(0, Li), b));
        for (let i = 0; i < W; i++) out[Pi + i] = rec[Li + b * W + i];
        return out;
      },
      pack: (rec, b, v) => {
        if (v.length !== Pi + W) throw new RangeError(`control vector has ${v.length} entries, expected ${Pi + W}`);
        innerParams.pack(rec.subarray(0, Li), b, Array.prototype.slice.call(v, 0, Pi));
        for (let i = 0; i < W; i++) rec[Li + b * W + i] = v[Pi + i];
      },
    }, B, () => this.paramValues.length);
    // mass fractions and the initial centre of mass, float64 then rounded once
    const m = inner.selection().weights;
    const M = m.reduce((s, x) => s + x, 0);
    this.massFraction = Float32Array.from(m, (x) => x / M);
    this.com0 = new Float32Array(B * d);
    const { stride } = inner.state, xo = positionField(inner.state).offset;
    for (let b = 0; b < B; b++) {
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += this.massFraction[i] * inner.state0[(b * N + i) * stride + xo + a];
        this.com0[b * d + a] = s;
      }
    }
    const model = new Float32Array(N + B * d);
    model.set(this.massFraction);
    model.set(this.com0, N);
    this.model = createBuffer(dev, 'control.model', model.byteLength, undefined, model);
    const order = inner.itemOrder;
    this.identity = order ? createBuffer(dev, 'control.identity_order', B * N * 4, undefined, Uint32Array.from({ length: B * N }, (_, q) => q % N)) : null;
    if (order) {
      this.itemOrder = {
        isUserOrder: (t) => order.isUserOrder(t),
        stateOrder: (t) => order.stateOrder(t),
        encodeToUser: (pass, src, dst, t) => order.encodeToUser(pass, src, dst, t),
        encodeFromUser: (pass, src, dst, t) => order.encodeFromUser(pass, src, dst, t),
        bytes: () => order.bytes() + B * N * 4,
      };
    }
    this.weights = createBuffer(dev, 'control.weights', B * W * 4, undefined, this.paramValues.subarray(Li));
    this.goals = Array.from({ length: B }, (_, b) => goalOf(spec, lay, b));
    this.goal = createBuffer(dev, 'control.goal', B * lay.goalLength * 4);
    this.writeGoals();
    this.feat = createBuffer(dev, 'control.features', B * lay.features * 4);
    this.paramGrad = createBuffer(dev, 'control.g_ctrl', this.paramValues.byteLength);
  }

  /** Wraps `inner` (which must have actuation channels) with the controller `spec` (validated: controller.ts). */
  static async create<S extends SimStatus>(inner: Simulator<S>, spec: ControllerSpec, o: ControlledOptions): Promise<ControlledSim<S>> {
    const act = inner.actuationTarget?.() ?? null;
    if (!act) throw new Error(`controller: the ${inner.kind} simulator has no actuation channels to drive`);
    const lay = controllerLayout(spec, { dim: inner.dim, channels: act.channels, dt: o.dt, duration: o.steps * o.dt });
    if (lay.features === 0) throw new Error('controller: no inputs');
    // workgroup memory: z and d (mlp_common.wgsl, mlp.adj.wgsl), the feature sums' 384 floats (features.wgsl)
    const units = lay.sizes.reduce((a, w) => a + w, 0), bytes = (2 * units + 384) * 4;
    if (bytes > 16384) throw new Error(`controller: ${units} units (features, hidden, outputs) need ${bytes} bytes of workgroup memory, more than 16384`);
    if (lay.vel >= 0 && !inner.state.fields.some((f) => f.name === 'v')) throw new Error(`controller: the ${inner.kind} state has no velocity field 'v'`);
    const sorted = !!inner.itemOrder;
    const head = constants({ lay, batch: inner.batch, state: inner.state, act, gradOffset: inner.paramValues.length, fault: !!o.wrongAdjoint });
    const names = Object.keys(KERNELS) as KernelName[];
    const ks = await Promise.all(names.map((name) => {
      const { bind, src } = kernelOf(name, sorted);
      const code = [head, bind.map((b, i) => `@group(0) @binding(${i}) ${decl[b]}`).join('\n'), ...src].join('\n');
      return inner.cache.computeAsync(`control.${name}${sorted ? '.sorted' : ''}${o.wrongAdjoint ? '.wrong' : ''}`, code, bind.map(kindOf), name);
    }));
    return new ControlledSim(inner, spec, lay, act, Object.fromEntries(names.map((n, i) => [n, ks[i]])) as Record<KernelName, ComputeKernel>);
  }

  get kind(): string { return this.inner.kind; }
  get gpu(): GpuContext { return this.inner.gpu; }
  get device(): GPUDevice { return this.inner.device; }
  get cache(): PipelineCache { return this.inner.cache; }
  get dim(): 2 | 3 { return this.inner.dim; }
  get batch(): number { return this.inner.batch; }
  get state(): StateLayout { return this.inner.state; }
  get stateBytes(): number { return this.inner.stateBytes; }
  get state0(): Float32Array { return this.inner.state0; }
  get horizon(): number { return this.inner.horizon; }
  get itemAttributes(): GPUBuffer { return this.inner.itemAttributes; }
  get extent(): number[] { return this.inner.extent; }

  createState(label: string, init?: Float32Array): GPUBuffer { return this.inner.createState(label, init); }

  ensureSteps(n: number): void {
    this.inner.ensureSteps(n);
    if (n <= this.stepCapacity) return;
    const data = new Uint32Array((n * STEP_STRIDE) / 4);
    for (let t = 0; t < n; t++) data.set([t, Math.min(t, this.horizon - 1)], (t * STEP_STRIDE) / 4);
    const steps = createBuffer(this.device, 'control.steps', data.byteLength, UNIFORM | COPY_DST, data);
    this.steps?.destroy();
    this.steps = steps;
    this.stepCapacity = n;
  }

  private run(pass: GPUComputePassEncoder, name: KernelName, step: number, bufs: BufferBinding[], groups: number): void {
    const k = this.k[name];
    const withStep = KERNELS[name].bind[0] === 'st';
    if (withStep && (!this.steps || step >= this.stepCapacity)) throw new RangeError(`step ${step} beyond the step table; call ensureSteps first`);
    const all = withStep ? [{ buffer: this.steps!, size: 16 }, ...bufs] : bufs;
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.cache.bindGroup(`control.${name}.bind`, k.layout, all), withStep ? [step * STEP_STRIDE] : []);
    pass.dispatchWorkgroups(groups);
  }

  /** The features of state sIn at `step` and the actuation row they give, for the inner step to read. */
  encodeController(pass: GPUComputePassEncoder, sIn: GPUBuffer, step: number): void {
    this.run(pass, 'control_forward', step, [this.model, ...this.orderOf(step), sIn, this.goal, this.weights, this.feat, this.act.buffer], this.batch);
  }

  /**
   * After the inner step adjoint of `step`, whose input state was sIn: the actuation row's gradient
   * into the weights' (and zeroed), dL/d(features) d(features)/d(state) added to gIn.
   */
  encodeControllerAdjoint(pass: GPUComputePassEncoder, sIn: GPUBuffer, gIn: GPUBuffer, step: number): void {
    this.run(pass, 'control_adjoint', step, [this.model, ...this.orderOf(step), sIn, this.goal, this.weights, this.inner.paramGrad, this.paramGrad, gIn], this.batch);
  }

  /** The order binding of the feature kernels for the state at `step` (none where the inner simulator never reorders). */
  private orderOf(step: number): GPUBuffer[] {
    const o = this.inner.itemOrder;
    return o ? [o.stateOrder(step) ?? this.identity!] : [];
  }

  /** The inner simulator's count: each of this one's steps is one of its. */
  get stepsEncoded(): number { return this.inner.stepsEncoded; }

  encodeStep(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void {
    this.encodeController(pass, sIn, step);
    this.inner.encodeStep(pass, sIn, sOut, step);
  }

  clearAdjoint(enc: GPUCommandEncoder): void {
    this.inner.clearAdjoint(enc);
    enc.clearBuffer(this.paramGrad);
  }

  /**
   * The inner adjoint reads step's actuation row, which the forward wrote: a tape runs (or reruns)
   * step's forward before its adjoint, and no other step writes that row before the horizon's last
   * one. From there on the steps share the last row, so it is recomputed first. The inner
   * simulator gets no sPrev and no hint: a fused adjoint (MPM's) would use dL/d(state at step)
   * before the controller's term is added to it.
   */
  encodeStepAdjoint(pass: GPUComputePassEncoder, io: StepAdjointIO): unknown {
    if (io.step >= this.horizon - 1) this.encodeController(pass, io.sIn, io.step);
    this.inner.encodeStepAdjoint(pass, { ...io, sPrev: null }, undefined);
    this.encodeControllerAdjoint(pass, io.sIn, io.gIn, io.step);
    return undefined;
  }

  encodeFinishAdjoint(pass: GPUComputePassEncoder): void {
    this.inner.encodeFinishAdjoint(pass);
    this.run(pass, 'copy_grad', 0, [this.inner.paramGrad, this.paramGrad], COPY_GROUPS);
  }

  writeParams(values: Float32Array): void {
    checkParamRecord(values, this.paramValues.length);
    const Li = this.innerRecord;
    this.inner.writeParams(values.subarray(0, Li));
    writeBuffer(this.device, this.weights, values.subarray(Li));
    this.paramValues = values.slice();
    this.paramVersion++;
  }

  /** The goal of copy b: goals[b % goals.length] (e.g. one target speed per copy); a later rollout uses them. */
  setGoals(goals: number[][]): void {
    const n = this.layout.goalLength;
    if (n === 0) throw new Error("controller: no 'goal' input");
    if (!Array.isArray(goals) || !goals.length) throw new RangeError(`goals = ${show(goals)}: allowed at least one goal, a vector of ${n}`);
    goals.forEach((g, k) => {
      // a NaN goal reached the MLP's input and came back as a NaN loss, named nowhere
      if (!Array.isArray(g) || g.length !== n || !g.every(Number.isFinite)) {
        throw new RangeError(`goals[${k}] = ${show(g)}: allowed a vector of ${n} finite number${n > 1 ? 's' : ''} (the controller's goal input)`);
      }
    });
    this.goals = Array.from({ length: this.batch }, (_, b) => goals[b % goals.length].slice());
    this.writeGoals();
    this.paramVersion++;
  }

  goalOf(b: number): number[] { return this.goals[b]; }

  private writeGoals(): void {
    if (this.layout.goalLength > 0) writeBuffer(this.device, this.goal, Float32Array.from(this.goals.flat()));
  }

  /** The features of every copy as last computed [B][features] (for tests and viewers; not on the hot path). */
  readFeatures(): Promise<Float32Array> { return readF32(this.device, this.feat, 0, this.batch * this.layout.features); }

  actuationTarget(): ActuationTarget | null { return null; } // driven here, not from outside

  resetStatus(): void { this.inner.resetStatus(); }
  readStatus(): Promise<Status> { return this.inner.readStatus(); }
  blowUpMessage(s: Status): string { return this.inner.blowUpMessage(s); }
  describeStatus(s: Status): string { return this.inner.describeStatus(s); }
  selection(group?: number): { start: number; count: number; weights: Float32Array } { return this.inner.selection(group); }

  destroy(): void {
    for (const b of [this.weights, this.goal, this.feat, this.model, this.paramGrad]) b.destroy();
    this.identity?.destroy();
    this.steps?.destroy();
    this.inner.destroy();
  }
}
