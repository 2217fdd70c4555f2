// A scene's loss as a function of the parameters an optimizer tunes (theta, src/opt/parameters.ts):
// its value and gradient at one point through a checkpointed rollout and its adjoint, and its values
// at a population of points as batch copies of one simulator, all copies stepped in the same
// dispatches (one rollout for the whole population, never a JS loop over copies). Written against
// the Simulator interface: MPM, springs and shells alike.
//
// Shared parameters: a controller trained on several commands (the scene's controller lists several
// goals, e.g. target speeds) runs one point as S batch copies with the same theta, copy j commanded
// goal j. The loss at theta is the mean of the copies' losses and its gradient the mean of the
// copies' gradients (each unpacked from the one batched backward, summed in copy order in float64):
// one forward and one backward of S copies, the same numbers as S batch-1 runs would give.
// With `draws` (optimize.goals 'stratified'), each gradient is taken at goals drawn afresh over the
// listed goals' range (goal-draw.ts), and the loss it returns is a second forward at the listed goals:
// a fixed yardstick for the best point, the threshold and Adam's restarts, where a draw's is noisy.
import type { GpuContext } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { createLoss, type Loss, type LossDesc, type LossValue } from '../core/loss';
import { firstNonFiniteAdjoint, Rollout, RolloutError, type NonFiniteAdjoint } from '../core/rollout';
import { optimizerCheckpoint, type CheckpointMode } from '../core/checkpoint-schedule';
import type { Simulator } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import { ControlledSim } from '../control/controlled-sim';
import { commandedGoals } from '../control/controller';
import { ParameterVector, type Parameter, type ShapeOptions } from './parameters';
import { stratifiedGoals } from './goal-draw';

export interface ObjectiveOptions {
  /** Parameter names (paramNames(scene)), or a host program's own Parameter objects (src/opt/parameters.ts). */
  params: (string | Parameter)[];
  /** How shaped parameters ('actuation.periodic', '<body>.waypoints') map onto per-step rows. */
  shape?: ShapeOptions;
  steps: number;
  checkpoint?: CheckpointMode;
  /**
   * The goals of the copies that share theta, one copy per goal (a controller with a 'goal' input).
   * Default: the goals the scene's controller lists where it lists several, else one copy with the scene's.
   */
  goals?: number[][];
  /**
   * Truncated backpropagation: reverse only the last `window` steps (gradients of earlier controls
   * and of the initial state are then zero).
   */
  window?: number;
  /** Draw the shared copies' goals for each gradient, stratified over the goals' range, from (seed, the gradient's draw). */
  draws?: { seed: number };
}

export interface PointValue {
  loss: number;
  gradient: Float64Array;
  /** The loss's centre of mass at the final step (the first shared copy's). */
  com: number[];
  /** Each shared copy's loss, and the metric its loss reports where it has one (com-speed: the achieved speed). */
  copies: number[];
  report?: number[];
  /** The goals the gradient was taken at, where they were drawn (the loss and copies are at the listed goals). */
  drawn?: number[][];
  /** Where a non-finite gradient came from (set only when the gradient has a non-finite entry). */
  nonFinite?: NonFiniteReport;
}

/** Where a backward went non-finite, for its error message. */
export interface NonFiniteReport {
  /** The first step adjoint (in the backward's order: the latest step) that left dL/d(state) non-finite, and its fields; null if dL/d(state) stayed finite. */
  adjoint: NonFiniteAdjoint | null;
  /** The control blocks whose gradient is non-finite, latest non-finite row first (blocks without rows last), and that row's step. */
  blocks: { name: string; kind: string; step: number | null }[];
  /** Whether dL/d(initial state) has a non-finite entry. */
  initialState: boolean;
}

/** The steps a loss's terms observe (their `step`), each with its field. */
export function observedSteps(loss: LossDesc): { field: string; step: number }[] {
  const terms = loss.kind === 'weighted-sum' ? loss.terms.map((t, i) => ({ field: `loss.terms[${i}].loss.step`, loss: t.loss })) : [{ field: 'loss.step', loss }];
  return terms.flatMap((t) => ('step' in t.loss && t.loss.step !== undefined ? [{ field: t.field, step: t.loss.step }] : []));
}

/**
 * Why a truncated backward (the last `window` of `steps`) would lose a gradient the run needs, or
 * null: it starts at state T - W, so a term observed there or before adds to the loss and nothing to
 * the gradient (the optimizer would chase a loss it cannot see), and a parameter of the initial
 * state gets none. The CLI's --window and the library's `window` refuse the same cases.
 */
export function windowProblem(loss: LossDesc, params: string[], steps: number, window: number | undefined): string | null {
  if (window === undefined || window >= steps) return null;
  const early = observedSteps(loss).filter((t) => t.step <= steps - window).sort((a, b) => a.step - b.step)[0];
  if (early) return `${early.field} = ${early.step} observes a step the last ${window} of ${steps} do not reach back to, so its gradient would be dropped; allowed at least ${steps - early.step + 1}`;
  if (params.includes('initialVelocity')) return `'initialVelocity' sets the initial state, which the last ${window} of ${steps} steps do not reach back to, so its gradient would be zero; allowed at least ${steps}`;
  return null;
}

interface Bound { sim: Simulator; params: ParameterVector; loss: Loss; rollout: Rollout }

/** The goals of the copies that share theta by default: the scene controller's, where it lists several. */
export function sharedGoals(scene: Scene): number[][] | undefined {
  const goals = commandedGoals(scene.controller);
  return goals.length > 1 ? goals : undefined;
}

export class SceneObjective {
  private population: Bound | null = null;

  /** Copies that share one point (1 without shared goals). */
  readonly shared: number;

  private constructor(readonly gpu: GpuContext, readonly scene: Scene & { loss: LossDesc }, readonly o: ObjectiveOptions, private readonly one: Bound) {
    this.shared = o.goals?.length ?? 1;
  }

  static async create(gpu: GpuContext, scene: Scene, o: ObjectiveOptions): Promise<SceneObjective> {
    if (!scene.loss) throw new RangeError(`scene '${scene.name}' defines no loss: nothing to optimize`);
    if (!Array.isArray(o.params) || o.params.length === 0) {
      throw new RangeError(`params = ${JSON.stringify(o.params)}: allowed a non-empty array of parameter names (paramNames(scene) lists them; a scene's own: scene.optimize?.params)`);
    }
    if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`steps = ${o.steps}: allowed an integer >= 1 (the rollout's length; a scene's own: scene.steps)`);
    // the per-step controls and tracks the parameters write have scene.steps rows: past them the
    // last row is held, so a periodic gait or a track's knots would stop acting (as --steps refuses)
    if (o.steps > scene.steps) {
      throw new RangeError(`steps = ${o.steps}: allowed at most the scene's ${scene.steps} (scene.steps: its per-step controls and tracks have that many rows; raise scene.steps to roll out longer)`);
    }
    if (o.window !== undefined && !(Number.isInteger(o.window) && o.window >= 1)) throw new RangeError(`window = ${o.window}: allowed an integer >= 1 (the steps the backward reverses)`);
    const cut = windowProblem(scene.loss, o.params.map((p) => (typeof p === 'string' ? p : p?.name)), o.steps, o.window);
    if (cut) throw new RangeError(`window = ${o.window}: ${cut}`);
    const goals = o.goals ?? sharedGoals(scene);
    if (goals && goals.length === 0) throw new RangeError('goals: name at least one');
    if (o.draws && !(goals && goals.length > 1)) throw new RangeError(`scene '${scene.name}': drawing goals needs several shared goals to draw between`);
    const oo = { ...o, goals };
    const one = await SceneObjective.bind(gpu, scene, oo, goals?.length ?? 1);
    return new SceneObjective(gpu, scene as Scene & { loss: LossDesc }, oo, one);
  }

  /** A simulator, loss and rollout for `batch` copies; a forward-only population's rollout keeps the sqrt schedule's few slots. */
  private static async bind(gpu: GpuContext, scene: Scene, o: ObjectiveOptions, batch: number, forwardOnly = false): Promise<Bound> {
    const sim = await createSimulator(gpu, scene, { batch });
    try {
      if (o.goals) {
        if (!(sim instanceof ControlledSim) || sim.layout.goalLength === 0) throw new RangeError(`scene '${scene.name}': goals for the copies need a controller with a 'goal' input`);
        sim.setGoals(o.goals); // copy b: goal b % S, in a population too
      }
      const params = new ParameterVector(sim, o.params, o.shape);
      const loss = await createLoss(sim, scene.loss!, { duration: o.steps * scene.dt, steps: o.steps });
      return { sim, params, loss, rollout: new Rollout(sim, o.steps, forwardOnly ? 'auto' : optimizerCheckpoint(o.checkpoint ?? 'auto', sim.stateBytes, o.steps)) };
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

  /** The initial state and control record of theta on every shared copy (what a replay of theta runs). */
  inputsAt(theta: Float64Array): { state0: Float32Array; ctrl: Float32Array } {
    return this.one.params.inputsBatch(Array.from({ length: this.shared }, () => theta));
  }

  /**
   * Loss and dL/dtheta at theta: the means over the shared copies. With `draws`, the gradient is at
   * goals drawn from (seed, draw) (the loop passes its iteration). A blow-up throws RolloutError naming the step.
   */
  async gradient(theta: Float64Array, draw = 0): Promise<PointValue> {
    this.checkLive('gradient');
    const { sim, params, loss, rollout } = this.one;
    const drawn = this.o.draws ? stratifiedGoals(this.o.goals!, this.o.draws.seed, draw) : undefined;
    if (drawn) (sim as ControlledSim).setGoals(drawn);
    let L = await this.forward(theta);
    const window = this.o.window !== undefined && this.o.window < this.o.steps ? this.o.window : undefined;
    const back = await rollout.backward(loss.grad, { window, inject: observedGrads(loss) });
    // a truncated backward ends at state T - window, which no parameter is: the initial state gets none
    const gState = window === undefined ? await readF32(this.gpu.device, back) : new Float32Array(sim.stateBytes / 4);
    const gCtrl = await readF32(this.gpu.device, sim.paramGrad);
    // control regularizers (effort, smoothness) are host-side: their gradient joins the rollout's
    const cg = loss.controlGradient();
    if (cg) for (let i = 0; i < gCtrl.length; i++) gCtrl[i] += cg[i];
    const gradient = new Float64Array(params.size);
    for (let b = 0; b < this.shared; b++) {
      const g = params.gradient(gState, gCtrl, theta, b);
      for (let i = 0; i < g.length; i++) gradient[i] += g[i];
    }
    if (this.shared > 1) for (let i = 0; i < gradient.length; i++) gradient[i] /= this.shared;
    const nonFinite = gradient.every(Number.isFinite) ? undefined : await this.locateNonFinite(theta, gState, gCtrl);
    if (drawn) {
      (sim as ControlledSim).setGoals(this.o.goals!);
      L = await this.forward(theta);
    }
    return { ...this.point(L), gradient, ...(drawn ? { drawn } : {}), ...(nonFinite ? { nonFinite } : {}) };
  }

  /** Where the backward at theta went non-finite: its step and state fields (by a slow step-by-step rerun), and the control blocks. */
  private async locateNonFinite(theta: Float64Array, gState: Float32Array, gCtrl: Float32Array): Promise<NonFiniteReport> {
    const { sim, loss, rollout } = this.one;
    const blocks: NonFiniteReport['blocks'] = [];
    for (const b of sim.params.blocks) {
      let bad = false, step: number | null = null;
      for (let c = 0; c < sim.batch; c++) {
        const g = sim.params.unpack(gCtrl, c);
        b.indices.forEach((i, k) => {
          if (Number.isFinite(g[i])) return;
          bad = true;
          if (b.rowLength > 0) step = Math.max(step ?? -1, Math.floor(k / b.rowLength));
        });
      }
      if (bad) blocks.push({ name: b.name, kind: b.kind, step });
    }
    blocks.sort((a, b) => (b.step ?? -1) - (a.step ?? -1));
    const adjoint = this.o.window === undefined ? await firstNonFiniteAdjoint(rollout, this.inputsAt(theta).state0, loss.grad, { keep: loss.observed, inject: observedGrads(loss) }) : null;
    return { adjoint, blocks, initialState: !gState.every(Number.isFinite) };
  }

  /** The loss at theta without its gradient (the means over the shared copies, and each copy's). */
  async value(theta: Float64Array): Promise<Omit<PointValue, 'gradient'>> {
    this.checkLive('value');
    return this.point(await this.forward(theta));
  }

  private async forward(theta: Float64Array): Promise<LossValue> {
    const { sim, loss, rollout } = this.one;
    const inputs = this.inputsAt(theta);
    sim.writeParams(inputs.ctrl);
    await rollout.forward(inputs.state0, { keep: loss.observed });
    return loss.evaluate(rollout.final.buf, (t) => rollout.kept(t));
  }

  private point(L: LossValue): Omit<PointValue, 'gradient'> {
    const copies = L.values.slice(0, this.shared);
    return { loss: meanOf(copies), com: L.com[0], copies, ...(L.report ? { report: L.report.slice(0, this.shared) } : {}) };
  }

  /**
   * Creates the simulator of losses() for `points` points now (it is otherwise made by the first
   * call): a SceneError if the device cannot hold its batch copies. The one there if it holds as
   * many; a smaller one is replaced.
   */
  async preparePopulation(points: number): Promise<Bound> {
    if (!Number.isInteger(points) || points < 1) throw new RangeError(`preparePopulation: points = ${points}: allowed an integer >= 1`);
    if (this.population && this.population.sim.batch < points * this.shared) {
      const old = this.population;
      this.population = null;
      old.rollout.destroy();
      old.loss.destroy();
      old.sim.destroy();
    }
    this.population ??= await SceneObjective.bind(this.gpu, this.scene, this.o, points * this.shared, true);
    return this.population;
  }

  /**
   * Losses at several points in one batched rollout of `batch` copies (created on first use, or by
   * preparePopulation; a later call at more points than it holds makes a larger one, fewer leave
   * the rest of its copies at the last point). A copy that blows up scores Infinity.
   */
  async losses(thetas: Float64Array[], batch = thetas.length): Promise<number[]> {
    this.checkLive('losses');
    if (thetas.length === 0) throw new RangeError('losses: no points: allowed at least one theta');
    const S = this.shared;
    const { sim, params, loss, rollout } = await this.preparePopulation(Math.max(batch, thetas.length));
    // point p on copies p S .. p S + S - 1, which the goals cycle through
    const padded = Array.from({ length: sim.batch }, (_, b) => thetas[Math.min(Math.floor(b / S), thetas.length - 1)]);
    const inputs = params.inputsBatch(padded);
    sim.writeParams(inputs.ctrl);
    try {
      await rollout.forward(inputs.state0, { keep: loss.observed });
    } catch (e) {
      if (!(e instanceof RolloutError)) throw e; // a copy went wrong: its loss says so below
    }
    const L = await loss.evaluate(rollout.final.buf, (t) => rollout.kept(t));
    return thetas.map((_, p) => meanOf(L.values.slice(p * S, (p + 1) * S))).map((v) => (Number.isFinite(v) ? v : Infinity));
  }

  private destroyed = false;
  private checkLive(what: string): void {
    if (this.destroyed) throw new Error(`objective.${what}: this objective was destroyed (destroy()); createObjective another`);
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of [this.one, this.population]) {
      if (!b) continue;
      b.rollout.destroy();
      b.loss.destroy();
      b.sim.destroy();
    }
    this.population = null;
  }
}

/** The mean in copy order (a single value as it is). */
function meanOf(v: number[]): number {
  return v.length === 1 ? v[0] : v.reduce((a, x) => a + x, 0) / v.length;
}

/** The gradients of the states a loss observes before the last, for the backward to add as it passes them. */
function observedGrads(loss: Loss): Map<number, GPUBuffer> {
  return new Map(loss.observed.map((t) => [t, loss.gradAt(t)]));
}

/** A parameter that sets nothing: theta's one number leaves the scene's own inputs as they are. */
const NOTHING: Parameter = {
  name: 'nothing', size: 1, initial: new Float64Array(1),
  apply() {}, gradient(_g, _c, out) { out.fill(0); }, clamp() {},
};

/**
 * The scene's own loss at its own inputs over its steps, with optimize's copies (a controller's
 * listed goals: the mean over them): the loss `torsion optimize` would start from, and what `torsion
 * run` reports for a tuned scene (best-scene.json). One forward rollout.
 */
export async function sceneLoss(gpu: GpuContext, scene: Scene): Promise<Omit<PointValue, 'gradient'>> {
  const o = await SceneObjective.create(gpu, scene, { params: [NOTHING], steps: scene.steps });
  try {
    return await o.value(o.initial());
  } finally {
    o.destroy();
  }
}
