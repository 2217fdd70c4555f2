// A scene's optimization task as the CLI and the page both run it: the configuration from the
// scene's `optimize` block and the caller's overrides, the objective and optimizer built from it,
// and (for the page) a session that runs one iteration at a time and records the best point's
// trajectory. Portable: nothing here touches Node.
import type { CheckpointMode } from '../core/checkpoint-schedule';
import type { LossDesc } from '../core/loss';
import { recordFrames, type RecordedTrajectory } from '../core/record';
import type { GpuContext } from '../gpu/device';
import { optimizeParams } from '../mpm/scene';
import { paramNames, type Scene } from '../simulators';
import { sceneHorizon } from '../mpm/layout';
import { initialLoopState, iterate, type IterationRecord, type LoopState } from './loop';
import { observedSteps, SceneObjective, windowProblem } from './objective';
import { createOptimizer, optimizerNames, type Optimizer, type OptimizerName } from './optimizers';
import { shapeOptions } from './parameters';
import { paramNameConflict } from './param-conflicts';
import { tunedScene } from './tuned-scene';

/** Every option that shapes a run's numbers (what the CLI's run.json holds). */
export interface RunConfig {
  scene: string;
  params: string[];
  optimizer: OptimizerName;
  iterations: number;
  lr: number;
  steps: number;
  checkpoint: CheckpointMode;
  population: number;
  seed: number;
  sigma?: number;
  clip?: number;
  normalize?: boolean;
  window?: number;
  threshold: number | null;
}

export interface RunOverrides {
  params?: string[];
  optimizer?: OptimizerName;
  iterations?: number;
  lr?: number;
  steps?: number;
  checkpoint?: CheckpointMode;
  /** Points per iteration of a sampling optimizer (batch copies). */
  batch?: number;
  seed?: number;
  sigma?: number;
  clip?: number;
  /** adam, gd: step along the gradient's direction (unit length) rather than the gradient. */
  normalize?: boolean;
  /** Truncated backpropagation: reverse only the last this many steps. */
  window?: number;
}

/** A configuration that cannot run; the message names the option (the CLI shows it as a usage error). */
export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

/** The step size where neither the command line nor the scene's optimize block gives one. */
export const DEFAULT_LEARNING_RATE = 0.1;

/** The run's configuration: the scene's task with `o` on top, checked before any GPU work. */
export function runConfig(scene: Scene, o: RunOverrides = {}): RunConfig {
  if (!scene.loss) throw new ConfigError(`scene '${scene.name}' defines no loss: nothing to optimize (give its file a "loss": \`torsion export\` writes the scene to edit; the kinds are in the README, "What carries gradients")`);
  const so = scene.optimize;
  const names = o.params ?? optimizeParams(so);
  if (names.length === 0) throw new ConfigError('--params: name at least one parameter');
  const known = paramNames(scene);
  for (const n of names) if (!known.includes(n)) throw new ConfigError(`'${n}' is not a parameter of this scene: allowed ${known.join(', ')}`);
  const conflict = paramNameConflict(names);
  if (conflict) throw new ConfigError(`${o.params ? '--params' : 'optimize.params'}: ${conflict}`);
  const optimizer = o.optimizer ?? so?.optimizer ?? 'adam';
  if (!optimizerNames.includes(optimizer)) throw new ConfigError(`--optimizer = ${optimizer}: allowed ${optimizerNames.join(', ')}`);
  // a population's size and spread mean nothing to a method that follows one gradient
  if (optimizer === 'adam' || optimizer === 'gd') {
    for (const [flag, v, what] of [['--batch', o.batch, 'the population'], ['--sigma', o.sigma, 'the spread of the samples']] as const) {
      if (v !== undefined) throw new ConfigError(`${flag} sets ${what} of cem, spsa and hybrid; ${optimizer} runs one rollout per iteration (add --optimizer cem, spsa or hybrid)`);
    }
  }
  // and a step's size, shape and truncation mean nothing to a method that takes no gradient step (cem) or no backward (spsa)
  const stepFlags = [['--lr', o.lr], ['--clip', o.clip], ['--normalize', o.normalize], ['--window', o.window], ['--checkpoint', o.checkpoint]] as const;
  for (const [flag, v] of optimizer === 'cem' ? stepFlags : optimizer === 'spsa' ? stepFlags.slice(3) : []) {
    if (v !== undefined) {
      throw new ConfigError(`${flag} ${flag === '--checkpoint' ? 'sets the tape of the backward through the rollout' : flag === '--window' ? 'shapes the backward through the rollout' : 'shapes a gradient step'}, which ${optimizer} ${optimizer === 'cem' ? 'does not take (it refits a Gaussian to its best samples)' : 'does not run (it estimates the gradient from forward rollouts)'}; add --optimizer adam, gd or hybrid`);
    }
  }
  const config: RunConfig = {
    scene: scene.name, params: names, optimizer,
    iterations: o.iterations ?? so?.iterations ?? 30,
    lr: o.lr ?? so?.learningRate ?? DEFAULT_LEARNING_RATE,
    steps: o.steps ?? scene.steps,
    checkpoint: o.checkpoint ?? 'auto',
    population: o.batch ?? so?.population ?? 16,
    seed: o.seed ?? 1,
    ...(o.sigma ?? so?.sigma) !== undefined ? { sigma: o.sigma ?? so?.sigma } : {},
    // --normalize replaces a clip the scene sets; a clip on the command line replaces the scene's normalize
    ...(o.normalize ?? (o.clip === undefined && so?.normalize)) ? { normalize: true } : (o.clip ?? so?.clip) !== undefined ? { clip: o.clip ?? so?.clip } : {},
    ...o.window !== undefined ? { window: o.window } : {},
    threshold: so?.threshold ?? null,
  };
  if (config.steps > scene.steps) throw new ConfigError(`--steps = ${config.steps}: allowed at most the scene's ${scene.steps}`);
  // a term that observes a step the shortened rollout never reaches has nothing to read
  const observed = observedSteps(scene.loss).filter((t) => t.step > config.steps).sort((a, b) => b.step - a.step)[0];
  if (observed) throw new ConfigError(`--steps = ${config.steps}: ${observed.field} = ${observed.step} observes a later step; allowed at least ${observed.step} (at most the scene's ${scene.steps})`);
  const cut = windowProblem(scene.loss, names, config.steps, config.window);
  if (cut) throw new ConfigError(`--window = ${config.window}: ${cut}`);
  // a body's knots sit on whole rows of its track, after the first: the track's rows bound their count
  const body = names.find((n) => n.endsWith('.waypoints'));
  const knots = so?.waypoints ?? 4, rows = 'particles' in scene ? sceneHorizon(scene) : scene.steps;
  if (body && knots > rows - 1) {
    throw new ConfigError(`optimize.waypoints = ${knots}${so?.waypoints === undefined ? ' (the default)' : ''}: '${body}' shapes a track of ${rows} rows, room for at most ${rows - 1} knots after its start`);
  }
  if (config.population < 3) throw new ConfigError(`--batch = ${config.population}: allowed at least 3`);
  if (o.normalize && o.clip !== undefined) throw new ConfigError('--normalize and --clip both shape the gradient: give one');
  return config;
}

/**
 * Fields of the scene's `optimize` that shape a parameter the run leaves alone (`period` and
 * `harmonics` shape 'actuation.periodic', `waypoints` and `trackBounds` a body's waypoints), each
 * as a warning: a scene file that sets them expects an effect they do not have.
 */
export function idleShapeFields(scene: Scene, params: string[]): string[] {
  const so = scene.optimize;
  if (!so) return [];
  const shapes = [
    { fields: ['period', 'harmonics'] as const, param: "'actuation.periodic'", used: params.includes('actuation.periodic') },
    { fields: ['waypoints', 'trackBounds'] as const, param: "a body's '<body>.waypoints'", used: params.some((n) => n.endsWith('.waypoints')) },
  ];
  return shapes.flatMap((x) => (x.used ? [] : x.fields.filter((f) => so[f] !== undefined)
    .map((f) => `optimize.${f} shapes ${x.param}, which this run does not optimize (params: ${params.join(', ')}): it has no effect`)));
}

/** Iterations of cem a hybrid run of `iterations` takes at most: 10, or half the run if shorter. */
export function hybridSampleIterations(iterations: number): number {
  return Math.min(10, Math.ceil(iterations / 2));
}

/** The objective and the optimizer of a configured run, at the scene's initial point. */
export async function openRun(gpu: GpuContext, scene: Scene, config: RunConfig): Promise<{ objective: SceneObjective; opt: Optimizer; theta0: Float64Array }> {
  const objective = await SceneObjective.create(gpu, scene, {
    params: config.params, steps: config.steps, checkpoint: config.checkpoint, window: config.window, shape: shapeOptions(scene),
    ...(scene.optimize?.goals === 'stratified' ? { draws: { seed: config.seed } } : {}),
  });
  try {
    const theta0 = objective.initial();
    const opt = createOptimizer(config.optimizer, theta0, {
      lr: config.lr, seed: config.seed, population: config.population, sigma: config.sigma, clip: config.clip, normalize: config.normalize,
      patience: scene.optimize?.patience, refine: scene.optimize?.refine,
      // hybrid samples for at most half the run, so that a short run still reaches its gradients
      sampleIterations: hybridSampleIterations(config.iterations),
    }, objective.clamp);
    // a population's batch copies now, not at the first iteration: one the device cannot hold stops the run before it starts
    if (opt.points !== undefined) await objective.preparePopulation(config.population);
    return { objective, opt, theta0 };
  } catch (e) {
    objective.destroy();
    throw e;
  }
}

/** An optimization run one iteration at a time (the page's Optimize button). */
export class OptimizeSession {
  readonly loop: LoopState;

  private constructor(readonly scene: Scene, readonly config: RunConfig, readonly objective: SceneObjective, private readonly opt: Optimizer, theta0: Float64Array) {
    this.loop = initialLoopState(theta0);
  }

  static async create(gpu: GpuContext, scene: Scene, o: RunOverrides = {}): Promise<OptimizeSession> {
    const config = runConfig(scene, o);
    const { objective, opt, theta0 } = await openRun(gpu, scene, config);
    return new OptimizeSession(scene, config, objective, opt, theta0);
  }

  /** One iteration; a blow-up or a non-finite gradient throws (RolloutError, OptimizeError) as in the CLI. */
  step(): Promise<IterationRecord> {
    return iterate(this.objective, this.opt, this.loop, { population: this.config.population }).then((it) => it.record);
  }

  /** The best point's named parameters. */
  best(): Record<string, number[]> {
    return this.objective.params.named(Float64Array.from(this.loop.best.theta));
  }

  /** The scene with the best point written in (tunedScene): its bodies' tracks, which a replay draws them from, its materials, actuation and controller. */
  bestScene(): Scene {
    return tunedScene(this.scene, this.objective.params, Float64Array.from(this.loop.best.theta), this.config.steps);
  }

  /** The best point's trajectory, about `frames` frames of it (one more forward rollout). */
  async bestTrajectory(frames = 100): Promise<RecordedTrajectory> {
    const o = this.objective;
    const inputs = o.inputsAt(Float64Array.from(this.loop.best.theta));
    o.sim.writeParams(inputs.ctrl);
    const every = Math.max(1, Math.round(this.config.steps / frames));
    const r = await recordFrames(o.sim, this.config.steps, every, inputs.state0);
    const all = new Float32Array(r.frames.reduce((a, f) => a + f.length, 0));
    let off = 0;
    for (const f of r.frames) { all.set(f, off); off += f.length; }
    return { dim: o.sim.dim, particles: o.sim.state.items, batch: o.sim.batch, frames: r.frames.length, stepsPerFrame: every, dt: this.scene.dt, positions: all };
  }

  destroy(): void {
    this.objective.destroy();
  }
}
