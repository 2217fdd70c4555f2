// Losses evaluated on the GPU (only the loss values are read back, never whole states).
import { composePlain } from '../shaders/compose';
import { lossShaders } from '../shaders/index';
import { createBuffer, readF32 } from '../gpu/buffers';
import type { LossDesc } from '../mpm/scene';
import type { MpmSim } from '../mpm/simulator';
import type { ComputeKernel } from '../gpu/pipeline-cache';

export interface LossValue {
  /** Per batch copy. */
  values: number[];
  /** Centre of mass per batch copy (DIM numbers each). */
  com: number[][];
}

/** L = |com(group) - target|^2 at the final state, per batch copy. */
export class ComTargetLoss {
  private readonly uniform: GPUBuffer;
  private readonly out: GPUBuffer;
  readonly grad: GPUBuffer;
  private valueK!: ComputeKernel;
  private gradK!: ComputeKernel;
  private readonly start: number;
  private readonly count: number;

  private constructor(readonly sim: MpmSim, readonly desc: LossDesc) {
    const group = desc.group ?? 0;
    [this.start, this.count] = sim.packed.groupRanges[group];
    const u = new ArrayBuffer(32);
    new Uint32Array(u).set([sim.packed.n, sim.batch, this.start, this.count]);
    new Float32Array(u).set(desc.target.slice(0, sim.dim), 4);
    this.uniform = createBuffer(sim.device, 'loss.com_target.params', 32, 0x40 | 0x08, u);
    this.out = createBuffer(sim.device, 'loss.com_target.out', sim.batch * 8 * 4);
    this.grad = sim.createState('loss.grad');
  }

  static async create(sim: MpmSim, desc: LossDesc): Promise<ComTargetLoss> {
    const l = new ComTargetLoss(sim, desc);
    const code = composePlain(sim.dim, lossShaders.comTarget);
    const kinds = ['uniform', 'read', 'read', 'rw', 'rw'] as const;
    l.valueK = await sim.cache.computeAsync(`loss.com_target.${sim.dim}d.value`, code, [...kinds], 'value');
    l.gradK = await sim.cache.computeAsync(`loss.com_target.${sim.dim}d.grad`, code, [...kinds], 'grad');
    return l;
  }

  /** Evaluates the loss on `state` and writes dL/dstate into this.grad. */
  async evaluate(state: GPUBuffer): Promise<LossValue> {
    const dev = this.sim.device;
    const enc = dev.createCommandEncoder({ label: 'loss.com_target' });
    enc.clearBuffer(this.grad);
    const buffers = [this.uniform, this.sim.modelBuf, state, this.out, this.grad];
    const bind = (k: ComputeKernel) => this.sim.cache.bindGroup('loss.com_target.bind', k.layout, buffers);
    const pass = enc.beginComputePass();
    pass.setPipeline(this.valueK.pipeline);
    pass.setBindGroup(0, bind(this.valueK));
    pass.dispatchWorkgroups(this.sim.batch);
    pass.setPipeline(this.gradK.pipeline);
    pass.setBindGroup(0, bind(this.gradK));
    pass.dispatchWorkgroups(Math.ceil((this.count * this.sim.batch) / 64));
    pass.end();
    dev.queue.submit([enc.finish()]);
    const o = await readF32(dev, this.out);
    const values: number[] = [];
    const com: number[][] = [];
    for (let b = 0; b < this.sim.batch; b++) {
      values.push(o[b * 8]);
      com.push(Array.from(o.slice(b * 8 + 1, b * 8 + 1 + this.sim.dim)));
    }
    return { values, com };
  }

  destroy(): void {
    this.uniform.destroy();
    this.out.destroy();
    this.grad.destroy();
  }
}
