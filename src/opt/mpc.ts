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
import { Rollout } from '../core/rollout';
import { positionField, type Simulator } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import type { MpcDesc } from '../mpm/scene';
import { Adam } from './adam';
import { ParameterVector } from './parameters';
import { shapeGradient } from './optimizers';

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

function centreOfMass(sim: Simulator, state: Float32Array): number[] {
  const { start, count, weights } = sim.selection();
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
 * Runs MPC over the scene's `steps`. `onFrame` sees each executed chunk; `shouldStop` ends early
 * (Ctrl-C), returning what ran.
 */
export async function runMpc(gpu: GpuContext, scene: Scene, o: MpcOptions, hooks: { onFrame?: (f: MpcFrame) => void; shouldStop?: () => boolean } = {}): Promise<MpcRun> {
  const H = o.horizon, K = o.every;
  const axes = o.axes ?? Array.from({ length: scene.dim }, (_, i) => i);
  const sim = await createSimulator(gpu, { ...scene, steps: H, loss: undefined });
  // a per-step plan, or a periodic gait whose clock is the world's (so a shifted plan keeps its phase)
  const periodic = o.period !== undefined;
  const paramsAt = (t0: number) => (periodic
    ? new ParameterVector(sim, ['actuation.periodic'], { period: o.period, harmonics: o.harmonics ?? 1, offset: t0 })
    : new ParameterVector(sim, ['actuation']));
  let params = paramsAt(0);
  const plan = new Rollout(sim, H, 'auto');
  const world = new Rollout(sim, K, 'full');
  const frames: MpcFrame[] = [];
  const positions: Float32Array[] = [];
  const { stride, items } = sim.state, off = positionField(sim.state).offset;
  const snapshot = (s: Float32Array) => Float32Array.from({ length: items * sim.dim }, (_, j) => s[Math.floor(j / sim.dim) * stride + off + (j % sim.dim)]);
  try {
    let state: Float32Array = sim.state0.slice();
    positions.push(snapshot(state));
    let theta = periodic ? params.initial() : params.initial().fill(0);
    const A = theta.length / H;
    for (let t0 = 0; t0 < scene.steps && !hooks.shouldStop?.(); t0 += K) {
      params = paramsAt(t0);
      // on an axis not chased, the plan aims where the body is now (a walker may hop)
      const here = centreOfMass(sim, state);
      const target = goalAt(o.goal, t0 + H).map((g, i) => (axes.includes(i) ? g : here[i]));
      const loss = await createLoss(sim, { kind: 'com-target', target });
      const adam = new Adam(theta.length, { lr: o.learningRate });
      let planLoss = NaN;
      try {
        // the first plan starts cold: it gets four times the iterations of a warm-started one
        for (let it = 0; it < (t0 === 0 ? 4 : 1) * o.iterations; it++) {
          const inputs = params.inputs(theta);
          sim.writeParams(inputs.ctrl);
          await plan.forward(state);
          planLoss = (await loss.evaluate(plan.final.buf)).values[0];
          await plan.backward(loss.grad);
          const g = params.gradient(new Float32Array(0), await readF32(gpu.device, sim.paramGrad), theta);
          adam.step(theta, shapeGradient(g, { clip: o.clip ?? 1 }));
          params.clamp(theta);
        }
      } finally {
        loss.destroy();
      }
      // run the plan's first K steps in the world
      const inputs = params.inputs(theta);
      sim.writeParams(inputs.ctrl);
      const steps = Math.min(K, scene.steps - t0);
      await world.forward(state);
      state = await readF32(gpu.device, world.stateAt(steps) ?? world.final.buf);
      positions.push(snapshot(state));
      const com = centreOfMass(sim, state), goal = goalAt(o.goal, t0 + steps);
      const f: MpcFrame = { step: t0 + steps, com, goal, distance: Math.hypot(...axes.map((i) => com[i] - goal[i])), planLoss };
      frames.push(f);
      hooks.onFrame?.(f);
      // warm start: a gait carries over as it is (its clock runs on); a per-step plan shifts by K
      // steps, its last row held
      if (!periodic) {
        const next = new Float64Array(theta.length);
        for (let t = 0; t < H; t++) for (let c = 0; c < A; c++) next[t * A + c] = theta[Math.min(H - 1, t + K) * A + c];
        theta = next;
      }
    }
    const after = frames.filter((f) => f.step > o.warmup).map((f) => f.distance);
    const maxDistanceAfterWarmup = after.length ? Math.max(...after) : NaN;
    return { frames, positions, maxDistanceAfterWarmup, success: after.length > 0 && maxDistanceAfterWarmup <= o.tolerance };
  } finally {
    plan.destroy();
    world.destroy();
    sim.destroy();
  }
}
