// Model-predictive control on any simulator with actuation: every `every` steps, re-plan the
// actuation of the next `horizon` steps from the state the world is in, by a few Adam iterations
// through the checkpointed adjoint on a com-target loss at the goal where it will be at the
// horizon's end; run the first `every` steps of the plan; shift the plan (warm start) and repeat.
// The first plan starts cold and gets four times the iterations.
// The world and the planner are the same simulator (batch 1): the world advances by a short
// rollout from its current state, the planner by rollouts of `horizon` steps from that state.
import type { GpuContext } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { createLoss } from '../core/loss';
import { Rollout, RolloutError } from '../core/rollout';
import { optimizerCheckpoint } from '../core/checkpoint-schedule';
import { positionField, type Simulator } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import type { MpcDesc } from '../mpm/scene';
import { Adam } from './adam';
import { ParameterVector } from './parameters';
import { shapeGradient } from './optimizers';
import { checkMpcPlannable } from './mpc-checks';

/** What a scene's `mpc` field says. */
export type MpcOptions = MpcDesc;

export interface MpcFrame {
  step: number;
  com: number[];
  goal: number[];
  distance: number;
  /** The plan's loss at its last iteration. */
  planLoss: number;
}

export function goalAt(goal: number[][], step: number): number[] {
  if (step <= goal[0][0]) return goal[0].slice(1);
  for (let k = 1; k < goal.length; k++) {
    if (step <= goal[k][0]) {
      const [t0, t1] = [goal[k - 1][0], goal[k][0]], s = (step - t0) / (t1 - t0);
      return goal[k].slice(1).map((x, i) => goal[k - 1][i + 1] + s * (x - goal[k - 1][i + 1]));
    }
  }
  return goal[goal.length - 1].slice(1);
}

/**
 * The mass-weighted centre of the items the plan's com-target loss reads in `state` (copy 0): an
 * MPM scene's group 0, a spring or shell scene's every vertex. The chase is judged on the same
 * centre the planner steers.
 */
export function centreOfMass(sim: Simulator, state: Float32Array): number[] {
  const { start, count, weights } = sim.selection(0);
  const { stride } = sim.state, off = positionField(sim.state).offset;
  const c = new Array(sim.dim).fill(0);
  let m = 0;
  for (let k = 0; k < count; k++) {
    const p = start + k;
    for (let i = 0; i < sim.dim; i++) c[i] += weights[k] * state[p * stride + off + i];
    m += weights[k];
  }
  return c.map((x) => x / m);
}

export interface MpcRun {
  frames: MpcFrame[];
  /** Positions of every item after each executed chunk (and the start), for a replay. */
  positions: Float32Array[];
  maxDistanceAfterWarmup: number;
  success: boolean;
}

/**
 * The planning half of MPC, for the CLI's loop (runMpc) and the page's (src/viewer/demos.ts): a
 * simulator of the scene over `horizon` steps, and the plan (theta) it refines by Adam through the
 * checkpointed adjoint from a given state towards a given target, warm-started from the last plan.
 */
export class MpcPlanner {
  readonly sim: Simulator;
  readonly axes: number[];
  private readonly rollout: Rollout;
  private params: ParameterVector;
  private theta: Float64Array;
  private readonly periodic: boolean;
  private planned = false;

  private constructor(sim: Simulator, readonly o: MpcOptions) {
    this.sim = sim;
    this.axes = o.axes ?? Array.from({ length: sim.dim }, (_, i) => i);
    this.periodic = o.period !== undefined;
    this.params = this.paramsAt(0);
    this.rollout = new Rollout(sim, o.horizon, optimizerCheckpoint('auto', sim.stateBytes, o.horizon));
    this.theta = this.periodic ? this.params.initial() : this.params.initial().fill(0);
  }

  /** A planner for `scene` (validated, with actuation), on its own simulator (batch 1). */
  static async create(gpu: GpuContext, scene: Scene, o: MpcOptions): Promise<MpcPlanner> {
    checkMpcPlannable(scene);
    // unsorted whatever the scene says: the world reads a state mid-rollout (stateAt), which a sorting simulator cannot give
    return new MpcPlanner(await createSimulator(gpu, { ...scene, steps: o.horizon, loss: undefined }, { sortEvery: 0 }), o);
  }

  // a per-step plan, or a periodic gait whose clock is the world's (so a shifted plan keeps its phase)
  private paramsAt(t0: number): ParameterVector {
    const o = this.o;
    return this.periodic
      ? new ParameterVector(this.sim, ['actuation.periodic'], { period: o.period, harmonics: o.harmonics ?? 1, offset: t0 })
      : new ParameterVector(this.sim, ['actuation']);
  }

  /**
   * Plans the `horizon` steps from `state` (the world's at step t0) towards `goal` (on the axes not
   * chased, the plan aims where the body is now: a walker may hop). The first plan starts cold and
   * gets four times the iterations, as does a `fresh` one (the page's goal was moved). Returns the
   * plan's loss at its last iteration.
   */
  async plan(state: Float32Array, t0: number, goal: number[], fresh = false): Promise<number> {
    const { sim, o } = this;
    this.params = this.paramsAt(t0);
    const here = centreOfMass(sim, state);
    const target = goal.map((g, i) => (this.axes.includes(i) ? g : here[i]));
    const loss = await createLoss(sim, { kind: 'com-target', target });
    const adam = new Adam(this.theta.length, { lr: o.learningRate });
    let planLoss = NaN;
    const noState = new Float32Array(sim.stateBytes / 4); // the gait's parameters read no state
    try {
      for (let it = 0; it < (this.planned && !fresh ? 1 : 4) * o.iterations; it++) {
        sim.writeParams(this.params.inputs(this.theta).ctrl);
        await this.rollout.forward(state);
        planLoss = (await loss.evaluate(this.rollout.final.buf)).values[0];
        await this.rollout.backward(loss.grad);
        const g = this.params.gradient(noState, await readF32(sim.device, sim.paramGrad), this.theta);
        adam.step(this.theta, shapeGradient(g, { clip: o.clip ?? 1 }));
        this.params.clamp(this.theta);
      }
    } finally {
      loss.destroy();
    }
    this.planned = true;
    sim.writeParams(this.params.inputs(this.theta).ctrl);
    return planLoss;
  }

  /** The plan's actuation, [horizon][channels] row by row: row k drives step t0 + k of the world. */
  actuation(): Float64Array {
    const block = this.sim.params.blocks.find((b) => b.kind === 'actuation');
    if (!block) throw new Error('mpc: the simulator has no actuation block');
    const v = this.sim.params.values(0);
    return Float64Array.from(block.indices, (i) => v[i]);
  }

  /**
   * After the world ran `k` steps of the plan: a gait carries over as it is (its clock runs on); a
   * per-step plan shifts by k steps, its last row held.
   */
  shift(k: number): void {
    if (this.periodic) return;
    const H = this.o.horizon, A = this.theta.length / H;
    const next = new Float64Array(this.theta.length);
    for (let t = 0; t < H; t++) for (let c = 0; c < A; c++) next[t * A + c] = this.theta[Math.min(H - 1, t + k) * A + c];
    this.theta = next;
  }

  destroy(): void {
    this.rollout.destroy();
    this.sim.destroy();
  }
}

/**
 * Runs MPC over the scene's `steps`. `onFrame` sees each executed chunk; `shouldStop` ends early
 * (Ctrl-C), returning what ran.
 */
export async function runMpc(gpu: GpuContext, scene: Scene, o: MpcOptions, hooks: { onFrame?: (f: MpcFrame) => void; shouldStop?: () => boolean } = {}): Promise<MpcRun> {
  const K = o.every;
  const planner = await MpcPlanner.create(gpu, scene, o);
  const { sim, axes } = planner;
  // the world and the planner are the same simulator: the world runs the plan's first K steps
  const world = new Rollout(sim, K, 'full');
  const frames: MpcFrame[] = [];
  const positions: Float32Array[] = [];
  const { stride, items } = sim.state, off = positionField(sim.state).offset;
  const snapshot = (s: Float32Array) => Float32Array.from({ length: items * sim.dim }, (_, j) => s[Math.floor(j / sim.dim) * stride + off + (j % sim.dim)]);
  try {
    let state: Float32Array = sim.state0.slice();
    positions.push(snapshot(state));
    for (let t0 = 0; t0 < scene.steps && !hooks.shouldStop?.(); t0 += K) {
      // both rollouts count their steps from t0: a blow-up is named by the world's step
      const atWorld = (what: string) => (e: unknown) => {
        if (!(e instanceof RolloutError)) throw e;
        const from = t0 === 0 ? '' : ` from the world's step ${t0} (its step k is the world's step ${t0} + k)`;
        throw new RolloutError(`${what}${from}: ${e.message}`, e.step === null ? null : t0 + e.step);
      };
      const planLoss = await planner.plan(state, t0, goalAt(o.goal, t0 + o.horizon)).catch(atWorld('the plan'));
      // run the plan's first K steps in the world (plan() left the plan's controls written)
      const steps = Math.min(K, scene.steps - t0);
      await world.forward(state).catch(atWorld("the world's rollout"));
      state = await readF32(gpu.device, world.stateAt(steps) ?? world.final.buf);
      positions.push(snapshot(state));
      const com = centreOfMass(sim, state), goal = goalAt(o.goal, t0 + steps);
      const f: MpcFrame = { step: t0 + steps, com, goal, distance: Math.hypot(...axes.map((i) => com[i] - goal[i])), planLoss };
      frames.push(f);
      hooks.onFrame?.(f);
      planner.shift(K);
    }
    const after = frames.filter((f) => f.step > o.warmup).map((f) => f.distance);
    const maxDistanceAfterWarmup = after.length ? Math.max(...after) : NaN;
    return { frames, positions, maxDistanceAfterWarmup, success: after.length > 0 && maxDistanceAfterWarmup <= o.tolerance };
  } finally {
    world.destroy();
    planner.destroy();
  }
}
