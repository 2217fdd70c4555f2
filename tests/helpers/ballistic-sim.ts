// A second, minimal simulator, written only against the Simulator interface (src/core/simulator.ts),
// so the tests can show that the rollout, the losses, the named parameters and gradcheck are
// generic: points under gravity with linear drag k and a push a[t] along x, symplectic Euler,
//   v' = (1 - k dt) v + dt (g + a[t] e_x),  x' = x + dt v'.
// Its adjoint, per item, with G = dL/dv' + dt dL/dx':
//   dL/dx = dL/dx',  dL/dv = (1 - k dt) G,  dL/dk += -dt v . G,  dL/da[t] += dt G_x,
// the parameter sums taken in item order by one invocation per copy (deterministic).
// Real WGSL on the real device; `wrongAdjoint` scales dL/dk by 1.1, for checks that must fail.
import type { GpuContext } from '../../src/gpu/device';
import { createBuffer, readU32, writeBuffer } from '../../src/gpu/buffers';
import { PipelineCache, type ComputeKernel } from '../../src/gpu/pipeline-cache';
import type { ParamSpace, Simulator, SimStatus, StateLayout, StepAdjointIO } from '../../src/core/simulator';

const STEP_STRIDE = 256;
const NONE = 0xffffffff;

const wgsl = (dim: number, kScale: number) => /* wgsl */ `
const DIM: u32 = ${dim}u;
struct Params { n: u32, batch: u32, horizon: u32, pad: u32, dt: f32, g: f32 }
struct Step { t: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> ctrl: array<f32>;          // [B][1 + H]: k, a[0..H)
@group(0) @binding(3) var<storage, read> s_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> s_out: array<f32>;   // step: state out; adjoint: dL/dstate in (read)
@group(0) @binding(5) var<storage, read_write> g_in: array<f32>;    // adjoint: dL/dstate out
@group(0) @binding(6) var<storage, read_write> terms: array<f32>;   // adjoint: [B][n][2] dL/dk, dL/da per item
@group(0) @binding(7) var<storage, read_write> aux: array<atomic<u32>>; // step: bad step; reduce: (unused)

fn row(b: u32) -> u32 { return b * (1u + p.horizon); }
fn act(b: u32) -> f32 { return ctrl[row(b) + 1u + min(st.t, p.horizon - 1u)]; }

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n * p.batch) { return; }
  let b = i / p.n;
  let o = i * 2u * DIM;
  let k = ctrl[row(b)];
  var ok = true;
  for (var d = 0u; d < DIM; d++) {
    var f = 0.0;
    if (d == 1u) { f = p.g; }
    if (d == 0u) { f = act(b); }
    let v = (1.0 - k * p.dt) * s_in[o + DIM + d] + p.dt * f;
    let x = s_in[o + d] + p.dt * v;
    s_out[o + d] = x;
    s_out[o + DIM + d] = v;
    ok = ok && abs(x) < 1e30 && abs(v) < 1e30;
  }
  if (!ok) { atomicMin(&aux[0], st.t); }
}

@compute @workgroup_size(64)
fn adjoint(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n * p.batch) { return; }
  let b = i / p.n;
  let o = i * 2u * DIM;
  let k = ctrl[row(b)];
  var gk = 0.0;
  for (var d = 0u; d < DIM; d++) {
    let G = s_out[o + DIM + d] + p.dt * s_out[o + d];
    g_in[o + d] = s_out[o + d];
    g_in[o + DIM + d] = (1.0 - k * p.dt) * G;
    gk += -p.dt * s_in[o + DIM + d] * G;
  }
  terms[2u * i] = ${kScale.toFixed(3)} * gk;
  terms[2u * i + 1u] = p.dt * (s_out[o + DIM] + p.dt * s_out[o]);
}

// one invocation per copy: the item sums in a fixed order, added to the gradient record (g_in)
@compute @workgroup_size(1)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.x;
  var gk = 0.0;
  var ga = 0.0;
  for (var j = 0u; j < p.n; j++) { gk += terms[2u * (b * p.n + j)]; ga += terms[2u * (b * p.n + j) + 1u]; }
  g_in[row(b)] += gk;
  g_in[row(b) + 1u + min(st.t, p.horizon - 1u)] += ga;
}
`;

export interface BallisticScene {
  dim: 2 | 3;
  dt: number;
  g: number;
  /** [n * 2 * dim]: x then v per item. */
  state0: number[];
  drag: number;
  /** [horizon] push along x per step. */
  push: number[];
}

export class BallisticSim implements Simulator {
  readonly kind = 'ballistic';
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
  readonly workKind = { step: 'ballistic.step', adjoint: 'ballistic.adjoint' };
  readonly itemAttributes: GPUBuffer;
  readonly extent: number[];
  private readonly uniform: GPUBuffer;
  private readonly ctrl: GPUBuffer;
  private readonly terms: GPUBuffer;
  private readonly status: GPUBuffer;
  /** Fills the bindings a kernel does not use (two writable bindings must not share a buffer). */
  private readonly unused: GPUBuffer;
  private steps: GPUBuffer | null = null;
  private stepCapacity = 0;
  private constructor(readonly gpu: GpuContext, readonly scene: BallisticScene, readonly batch: number, readonly cache: PipelineCache,
    private readonly k: Record<'step' | 'adjoint' | 'reduce', ComputeKernel>) {
    const dev = (this.device = gpu.device);
    const d = (this.dim = scene.dim);
    const n = scene.state0.length / (2 * d);
    this.state = { items: n, stride: 2 * d, position: 'x', fields: [{ name: 'x', offset: 0, length: d }, { name: 'v', offset: d, length: d }] };
    this.stateBytes = batch * n * 2 * d * 4;
    this.state0 = new Float32Array(batch * scene.state0.length);
    for (let b = 0; b < batch; b++) this.state0.set(scene.state0, b * scene.state0.length);
    this.horizon = scene.push.length;
    const H = this.horizon;
    const one = [scene.drag, ...scene.push];
    this.paramValues = new Float32Array(batch * (1 + H));
    for (let b = 0; b < batch; b++) this.paramValues.set(one, b * (1 + H));
    this.params = {
      size: 1 + H,
      blocks: [
        { name: 'drag', kind: 'material', indices: Uint32Array.of(0), rowLength: 0, min: 0, eps: 1e-6, relative: true },
        { name: 'actuation', kind: 'actuation', indices: Uint32Array.from({ length: H }, (_, t) => 1 + t), rowLength: 1, eps: 1e-6 },
      ],
      values: (b) => Float64Array.from(this.paramValues.subarray(b * (1 + H), (b + 1) * (1 + H))),
      unpack: (rec, b) => Float64Array.from(rec.subarray(b * (1 + H), (b + 1) * (1 + H))),
      pack: (rec, b, v) => { rec.set(Array.from(v), b * (1 + H)); },
    };
    const u = new ArrayBuffer(32);
    new Uint32Array(u).set([n, batch, H]);
    new Float32Array(u).set([scene.dt, scene.g], 4);
    this.uniform = createBuffer(dev, 'ballistic.params', 32, 0x40 | 0x08, u);
    this.ctrl = createBuffer(dev, 'ballistic.ctrl', this.paramValues.byteLength, undefined, this.paramValues);
    this.paramGrad = createBuffer(dev, 'ballistic.g_ctrl', this.paramValues.byteLength);
    this.terms = createBuffer(dev, 'ballistic.terms', batch * n * 2 * 4);
    this.status = createBuffer(dev, 'ballistic.status', 16);
    this.unused = createBuffer(dev, 'ballistic.unused', 16);
    this.itemAttributes = createBuffer(dev, 'ballistic.attributes', n * 8, undefined, new Float32Array(2 * n).map((_, i) => (i % 2 ? 1 : 0)));
    this.extent = [1, 1, 1].slice(0, d);
    this.resetStatus();
  }

  static async create(gpu: GpuContext, scene: BallisticScene, opts: { batch?: number; wrongAdjoint?: boolean } = {}): Promise<BallisticSim> {
    const cache = new PipelineCache(gpu.device);
    const code = wgsl(scene.dim, opts.wrongAdjoint ? 1.1 : 1);
    const kinds = ['uniform', 'uniform-dynamic', 'read', 'read', 'rw', 'rw', 'rw', 'rw'] as const;
    const k = async (e: string) => cache.computeAsync(`ballistic.${e}${opts.wrongAdjoint ? '.wrong' : ''}`, code, [...kinds], e);
    return new BallisticSim(gpu, scene, opts.batch ?? 1, cache, { step: await k('step'), adjoint: await k('adjoint'), reduce: await k('reduce') });
  }

  createState(label: string, init?: Float32Array): GPUBuffer {
    return createBuffer(this.device, `ballistic.state.${label}`, this.stateBytes, undefined, init);
  }

  ensureSteps(n: number): void {
    if (n <= this.stepCapacity) return;
    this.steps?.destroy();
    const data = new Uint32Array((n * STEP_STRIDE) / 4);
    for (let t = 0; t < n; t++) data[(t * STEP_STRIDE) / 4] = t;
    this.steps = createBuffer(this.device, 'ballistic.steps', data.byteLength, 0x40 | 0x08, data);
    this.stepCapacity = n;
  }

  private run(pass: GPUComputePassEncoder, k: ComputeKernel, step: number, bufs: GPUBuffer[], groups: number): void {
    if (!this.steps || step >= this.stepCapacity) throw new RangeError(`step ${step} beyond the step table; call ensureSteps first`);
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.cache.bindGroup('ballistic.bind', k.layout, [this.uniform, { buffer: this.steps, size: 16 }, this.ctrl, ...bufs]), [step * STEP_STRIDE]);
    pass.dispatchWorkgroups(groups);
  }

  private get threads(): number { return Math.ceil((this.state.items * this.batch) / 64); }

  encodeStep(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void {
    this.stepsEncoded++;
    this.run(pass, this.k.step, step, [sIn, sOut, this.unused, this.terms, this.status], this.threads);
  }

  clearAdjoint(enc: GPUCommandEncoder): void {
    enc.clearBuffer(this.paramGrad);
  }

  encodeStepAdjoint(pass: GPUComputePassEncoder, io: StepAdjointIO): unknown {
    this.run(pass, this.k.adjoint, io.step, [io.sIn, io.gOut, io.gIn, this.terms, this.status], this.threads);
    this.run(pass, this.k.reduce, io.step, [io.sIn, io.gOut, this.paramGrad, this.terms, this.status], this.batch);
    return undefined;
  }

  encodeFinishAdjoint(): void {}

  writeParams(values: Float32Array): void {
    writeBuffer(this.device, this.ctrl, values);
    this.paramValues = values.slice();
    this.paramVersion++;
  }

  resetStatus(): void { writeBuffer(this.device, this.status, Uint32Array.of(NONE, 0, 0, 0)); }

  async readStatus(): Promise<SimStatus> {
    const s = await readU32(this.device, this.status, 0, 1);
    return { badStep: s[0] === NONE ? null : s[0] };
  }

  blowUpMessage(s: SimStatus): string { return `ballistic rollout blew up at step ${s.badStep}`; }
  describeStatus(): string { return ''; }

  selection(): { start: number; count: number; weights: Float32Array } {
    return { start: 0, count: this.state.items, weights: new Float32Array(this.state.items).fill(1) };
  }

  destroy(): void {
    for (const b of [this.uniform, this.ctrl, this.paramGrad, this.terms, this.status, this.unused, this.itemAttributes]) b.destroy();
    this.steps?.destroy();
  }
}

/** The float64 reference of the same step: the final state after `steps` from state0 (one copy) with ctrl = [k, a...]. */
export function ballisticReference(scene: BallisticScene, state0: ArrayLike<number>, ctrl: ArrayLike<number>, steps: number): Float64Array {
  const d = scene.dim, H = scene.push.length;
  const s = Float64Array.from(state0);
  const k = ctrl[0];
  for (let t = 0; t < steps; t++) {
    const a = ctrl[1 + Math.min(t, H - 1)];
    for (let o = 0; o < s.length; o += 2 * d) {
      for (let i = 0; i < d; i++) {
        const f = i === 0 ? a : i === 1 ? scene.g : 0;
        s[o + d + i] = (1 - k * scene.dt) * s[o + d + i] + scene.dt * f;
        s[o + i] += scene.dt * s[o + d + i];
      }
    }
  }
  return s;
}
