// Losses evaluated on the GPU for any Simulator (only the loss values are read back, never whole
// states): a loss reads the final state through the simulator's state layout and writes
// dL/d(final state), the input of Rollout.backward.
import { composePlain } from '../shaders/compose';
import { lossShaders } from '../shaders/index';
import { createBuffer, readF32 } from '../gpu/buffers';
import type { ComputeKernel } from '../gpu/pipeline-cache';
import { Reducer } from '../gpu/reduce';
import { positionField, type Simulator } from './simulator';

/** The objective a gradient is taken of, as a scene names it. */
export interface LossDesc {
  /** Squared distance of a group's centre of mass to `target` at the final step. */
  kind: 'com-target';
  /** Index into groups (absent: group 0). */
  group?: number;
  /** Target position, one coordinate per axis. */
  target: number[];
}

export interface LossValue {
  /** Per batch copy. */
  values: number[];
  /** Centre of mass per batch copy (DIM numbers each). */
  com: number[][];
}

export interface Loss {
  /** dL/d(state) of the last evaluate, a state buffer. */
  readonly grad: GPUBuffer;
  /** Evaluates the loss on `state` (every batch copy) and writes dL/dstate into grad. */
  evaluate(state: GPUBuffer): Promise<LossValue>;
  destroy(): void;
}

export function createLoss(sim: Simulator, desc: LossDesc): Promise<Loss> {
  return ComTargetLoss.create(sim, desc);
}

const WG = 64;

/** L = |com(items) - target|^2 at the final state, per batch copy: com_target.wgsl. */
class ComTargetLoss implements Loss {
  private readonly uniform: GPUBuffer;
  private readonly weights: GPUBuffer;
  private readonly terms: GPUBuffer;
  private readonly sums: GPUBuffer;
  private readonly out: GPUBuffer;
  readonly grad: GPUBuffer;
  private readonly reducer: Reducer;
  private readonly count: number;
  private kernels!: Record<'terms' | 'finish' | 'grad', ComputeKernel>;

  private constructor(readonly sim: Simulator, desc: LossDesc) {
    const sel = sim.selection(desc.group ?? 0);
    this.count = sel.count;
    const d = sim.dim, B = sim.batch, dev = sim.device;
    const u = new ArrayBuffer(48);
    new Uint32Array(u).set([sim.state.items, B, sel.start, sel.count, sim.state.stride, positionField(sim.state).offset]);
    new Float32Array(u).set(desc.target.slice(0, d), 8);
    this.uniform = createBuffer(dev, 'loss.com_target.params', 48, 0x40 | 0x08, u);
    this.weights = createBuffer(dev, 'loss.com_target.weights', Math.max(4, sel.count * 4), undefined, sel.weights);
    this.terms = createBuffer(dev, 'loss.com_target.terms', Math.max(4, B * (d + 1) * sel.count * 4));
    this.sums = createBuffer(dev, 'loss.com_target.sums', B * (d + 1) * 4);
    this.out = createBuffer(dev, 'loss.com_target.out', B * 8 * 4);
    this.grad = sim.createState('loss.grad');
    this.reducer = new Reducer(dev, sim.cache);
  }

  static async create(sim: Simulator, desc: LossDesc): Promise<ComTargetLoss> {
    const l = new ComTargetLoss(sim, desc);
    const code = composePlain(sim.dim, lossShaders.comTarget);
    const kinds = ['uniform', 'read', 'read', 'rw', 'rw', 'rw', 'rw'] as const;
    const k = (entry: string) => sim.cache.computeAsync(`loss.com_target.${sim.dim}d.${entry}`, code, [...kinds], entry);
    l.kernels = { terms: await k('terms_main'), finish: await k('finish'), grad: await k('grad') };
    return l;
  }

  async evaluate(state: GPUBuffer): Promise<LossValue> {
    const { device: dev, batch: B, dim: d } = this.sim;
    const enc = dev.createCommandEncoder({ label: 'loss.com_target' });
    enc.clearBuffer(this.grad);
    const buffers = [this.uniform, this.weights, state, this.terms, this.sums, this.out, this.grad];
    const run = (k: ComputeKernel, threads: number) => {
      const pass = enc.beginComputePass({ label: 'loss.com_target' });
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, this.sim.cache.bindGroup('loss.com_target.bind', k.layout, buffers));
      pass.dispatchWorkgroups(Math.ceil(threads / WG));
      pass.end();
    };
    run(this.kernels.terms, this.count * B);
    const segments = Array.from({ length: B * (d + 1) }, (_, s) => ({ offset: s * this.count, count: this.count }));
    this.reducer.encodeSegmentedSum(enc, this.terms, segments, this.sums);
    run(this.kernels.finish, B);
    run(this.kernels.grad, this.count * B);
    dev.queue.submit([enc.finish()]);
    const o = await readF32(dev, this.out);
    const values: number[] = [];
    const com: number[][] = [];
    for (let b = 0; b < B; b++) {
      values.push(o[b * 8]);
      com.push(Array.from(o.slice(b * 8 + 1, b * 8 + 1 + d)));
    }
    return { values, com };
  }

  destroy(): void {
    for (const b of [this.uniform, this.weights, this.terms, this.sums, this.out, this.grad]) b.destroy();
  }
}
