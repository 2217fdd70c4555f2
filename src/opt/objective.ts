// A scene's loss as a function of the parameters an optimizer tunes (theta, src/opt/parameters.ts):
// its value and gradient at one point through a checkpointed rollout and its adjoint, and its values
// at a population of points as batch copies of one simulator, all copies stepped in the same
// dispatches (one rollout for the whole population, never a JS loop over copies). Written against
// the Simulator interface: MPM, springs and shells alike.
import type { GpuContext } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { createLoss, type Loss, type LossDesc } from '../core/loss';
import { Rollout, RolloutError } from '../core/rollout';
import type { CheckpointMode } from '../core/checkpoint-schedule';
import type { Simulator } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import { ParameterVector, type PeriodicOptions } from './parameters';

export interface ObjectiveOptions {
  params: string[];
  /** The shape of 'actuation.periodic'. */
  periodic?: PeriodicOptions;
  steps: number;
  checkpoint?: CheckpointMode;
}

export interface PointValue {
  loss: number;
  gradient: Float64Array;
  /** The loss's centre of mass at the final step. */
  com: number[];
}

interface Bound { sim: Simulator; params: ParameterVector; loss: Loss; rollout: Rollout }

export class SceneObjective {
  private population: Bound | null = null;

  private constructor(readonly gpu: GpuContext, readonly scene: Scene & { loss: LossDesc }, readonly o: ObjectiveOptions, private readonly one: Bound) {}

  static async create(gpu: GpuContext, scene: Scene, o: ObjectiveOptions): Promise<SceneObjective> {
    if (!scene.loss) throw new RangeError(`scene '${scene.name}' defines no loss: nothing to optimize`);
    const one = await SceneObjective.bind(gpu, scene, o, 1);
    return new SceneObjective(gpu, scene as Scene & { loss: LossDesc }, o, one);
  }

  private static async bind(gpu: GpuContext, scene: Scene, o: ObjectiveOptions, batch: number): Promise<Bound> {
    const sim = await createSimulator(gpu, scene, { batch });
    try {
      const params = new ParameterVector(sim, o.params, o.periodic);
      const loss = await createLoss(sim, scene.loss!);
      return { sim, params, loss, rollout: new Rollout(sim, o.steps, o.checkpoint ?? 'auto') };
    } catch (e) {
      sim.destroy();
      throw e;
    }
  }

  get sim(): Simulator { return this.one.sim; }
  get params(): ParameterVector { return this.one.params; }
  get size(): number { return this.one.params.size; }
  get rollout(): Rollout { return this.one.rollout; }
  initial(): Float64Array { return this.one.params.initial(); }
  clamp = (theta: Float64Array): void => this.one.params.clamp(theta);

  /** Loss and dL/dtheta at theta. A blow-up throws RolloutError naming the step. */
  async gradient(theta: Float64Array): Promise<PointValue> {
    const { sim, params, loss, rollout } = this.one;
    const inputs = params.inputs(theta);
    sim.writeParams(inputs.ctrl);
    await rollout.forward(inputs.state0);
    const L = await loss.evaluate(rollout.final.buf);
    const gState = await readF32(this.gpu.device, await rollout.backward(loss.grad));
    const gradient = params.gradient(gState, await readF32(this.gpu.device, sim.paramGrad), theta);
    return { loss: L.values[0], gradient, com: L.com[0] };
  }

  /**
   * Losses at several points in one batched rollout of `batch` copies (created on first use; a
   * later call may pass fewer points, never more). A copy that blows up scores Infinity.
   */
  async losses(thetas: Float64Array[], batch = thetas.length): Promise<number[]> {
    if (this.population && this.population.sim.batch < thetas.length) throw new RangeError(`a population of ${thetas.length}: this objective holds ${this.population.sim.batch} copies`);
    this.population ??= await SceneObjective.bind(this.gpu, this.scene, { ...this.o, checkpoint: 'auto' }, Math.max(batch, thetas.length));
    const { sim, params, loss, rollout } = this.population;
    const padded = Array.from({ length: sim.batch }, (_, b) => thetas[Math.min(b, thetas.length - 1)]);
    const inputs = params.inputsBatch(padded);
    sim.writeParams(inputs.ctrl);
    try {
      await rollout.forward(inputs.state0);
    } catch (e) {
      if (!(e instanceof RolloutError)) throw e; // a copy went wrong: its loss says so below
    }
    const L = await loss.evaluate(rollout.final.buf);
    return L.values.slice(0, thetas.length).map((v) => (Number.isFinite(v) ? v : Infinity));
  }

  destroy(): void {
    for (const b of [this.one, this.population]) {
      if (!b) continue;
      b.rollout.destroy();
      b.loss.destroy();
      b.sim.destroy();
    }
    this.population = null;
  }
}
