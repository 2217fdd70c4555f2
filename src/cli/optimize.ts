// `torsion optimize <scene>`: the scene's loss minimised over the parameters it names
// (scene.optimize, src/opt/parameters.ts) with a gradient optimizer through the checkpointed
// adjoint, or a sampling one over batch copies (src/opt/optimizers.ts), for any simulator.
//
// The run folder holds what a user keeps, each file written whole (temp file + rename) or appended
// a line at a time, so neither a crash nor Ctrl-C leaves a half-written file:
//   run.json       the options (what --resume reads back)   scene.json  the scene
//   state.json     everything needed to continue after the last finished iteration
//   progress.jsonl a line per iteration                      loss.svg    the loss curve
//   best.json      the best loss and its parameters          replay.*    the best point's trajectory
//   best-scene.json the scene with the best point written in (run, view or optimize it again)
//   summary.json   the outcome (written at the end, and on Ctrl-C)
// A resumed run reads run.json and state.json and continues as the uninterrupted run would: the
// optimizers keep their random draws and moments in state.json and the GPU gives the same bytes.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requestGpu } from '../gpu/device';
import { exportSceneJson } from '../mpm/validate';
import type { CheckpointMode } from '../core/checkpoint-schedule';
import type { Scene } from '../simulators';
import { bodyTracks, controllerActuation } from '../opt/scene-tracks';
import { tunedScene } from '../opt/tuned-scene';
import type { SceneObjective } from '../opt/objective';
import type { OptimizerName } from '../opt/optimizers';
import { ConfigError, idleShapeFields, openRun, runConfig, type RunConfig, type RunOverrides } from '../opt/session';
import { initialLoopState, iterate, OptimizeError, type IterationRecord, type LoopState } from '../opt/loop';
import { RolloutError } from '../core/rollout';
import { UsageError, loadScene } from './args';
import { appendJsonLine, makeRunDir, onInterrupt, writeAtomic, writeJson } from './results';
import { lossSvg } from './loss-svg';
import { recordFrames, writeReplay } from './run';

/** The run's overrides of the scene's task (RunOverrides: --iters, --lr, --params, ...), and the CLI's own options. */
export interface OptimizeOptions extends RunOverrides {
  out?: string;
  /** A run folder to continue. */
  resume?: string;
  /** Progress on stderr and one JSON object as stdout's last line. */
  json?: boolean;
  quiet?: boolean;
}

export interface OptimizeSummary {
  scene: string;
  optimizer: OptimizerName;
  params: string[];
  iters: number;
  initialLoss: number | null;
  finalLoss: number | null;
  bestLoss: number | null;
  bestIteration: number;
  threshold: number | null;
  success: boolean;
  interrupted: boolean;
  seconds: number;
  dir: string;
  best: Record<string, number[]>;
  /** At the best point, the metric the loss stands for where it reports one (region-fraction: the exact fraction inside; com-speed: the mean speed; match-pairs: the root mean squared distance). */
  bestMetric: number | null;
  /** Why the run stopped early: a blow-up or a non-finite loss or gradient (the command exits 4). */
  error?: string;
}

export interface OptimizeResult {
  dir: string;
  losses: number[];
  summary: OptimizeSummary;
}

const fmtTime = (x: number) => {
  if (!Number.isFinite(x)) return '-';
  const s = Math.round(x);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};
const finiteOrNull = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

function readJson<T>(path: string, what: string): T {
  try { return JSON.parse(readFileSync(path, 'utf8')) as T; } catch (e) { throw new UsageError(`--resume: cannot read ${what} (${path}): ${(e as Error).message}`); }
}

/** The run's configuration: from the scene and the options, or from a run folder being resumed. */
function configure(scene: Scene | undefined, o: OptimizeOptions): { scene: Scene; config: RunConfig; dir: string; state: ReturnType<typeof loadState> } {
  if (o.resume !== undefined) {
    const dir = resolve(o.resume);
    if (!existsSync(join(dir, 'run.json'))) throw new UsageError(`--resume ${o.resume}: no run.json there (not a torsion optimize folder)`);
    for (const [k, v] of Object.entries({ lr: o.lr, steps: o.steps, params: o.params, optimizer: o.optimizer, batch: o.batch, seed: o.seed, sigma: o.sigma, clip: o.clip, normalize: o.normalize, window: o.window, checkpoint: o.checkpoint, out: o.out })) {
      if (v !== undefined) throw new UsageError(`--resume continues a run as it was configured: --${k} cannot change (only --iterations)`);
    }
    const config = readJson<RunConfig>(join(dir, 'run.json'), 'the run\'s options');
    if (o.iterations !== undefined) config.iterations = o.iterations;
    const s = loadScene(undefined, join(dir, 'scene.json'));
    const state = loadState(dir);
    // --iters is the total a resumed run goes to, not a number more
    if (o.iterations !== undefined && state && o.iterations < state.loop.iteration) {
      throw new UsageError(`--iters = ${o.iterations}: ${o.resume} has done ${state.loop.iteration} iterations already, and --iters is the total to reach: allowed at least ${state.loop.iteration}`);
    }
    return { scene: s, config, dir, state };
  }
  if (!scene) throw new UsageError('a scene is required');
  let config: RunConfig;
  try {
    config = runConfig(scene, o);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  if (o.out !== undefined && ['run.json', 'progress.jsonl', 'summary.json'].some((f) => existsSync(join(o.out!, f)))) {
    throw new UsageError(`--out ${o.out} holds an optimization already: continue it with --resume ${o.out}, or choose another folder`);
  }
  makeRunDir(o.out, 'optimize', scene.name, { create: false });
  return { scene, config, dir: '', state: null };
}

interface Saved { loop: LoopState; optimizer: unknown; seconds: number }

function loadState(dir: string): Saved | null {
  const p = join(dir, 'state.json');
  if (!existsSync(p)) return null; // stopped before its first iteration finished
  const s = readJson<Saved>(p, 'the saved state');
  s.loop.best.loss ??= Infinity; // JSON has no Infinity
  return s;
}

/** Keeps the progress lines of iterations before `upTo` (a crash may have left one past the saved state). */
function trimProgress(path: string, upTo: number): IterationRecord[] {
  if (!existsSync(path)) return [];
  // a line cut off by a kill during its write is dropped with the lines past the saved state
  const kept = readFileSync(path, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try { return [JSON.parse(l) as IterationRecord]; } catch { return []; }
  }).filter((r) => r.iteration <= upTo);
  writeAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return kept;
}

export async function optimizeScene(sceneIn: Scene | undefined, o: OptimizeOptions = {}): Promise<OptimizeResult> {
  const { scene, config, state: saved, dir: resumeDir } = configure(sceneIn, o);
  const out = o.json ? (s: string) => console.error(s) : (s: string) => { if (!o.quiet) console.log(s); };
  for (const w of idleShapeFields(scene, config.params)) console.error(`warning: ${w}`);
  const gpu = await requestGpu();
  let objective: SceneObjective | undefined;
  let stop: ReturnType<typeof onInterrupt> | undefined;
  try {
    const opened = await openRun(gpu, scene, config);
    objective = opened.objective;
    // the folder only once the run can start: a run that fails to start leaves nothing behind
    const dir = resumeDir || makeRunDir(o.out, 'optimize', scene.name);
    if (!resumeDir) {
      writeAtomic(join(dir, 'scene.json'), exportSceneJson(scene));
      writeJson(join(dir, 'run.json'), config);
    }
    const { theta0, opt } = opened;
    if (saved && saved.loop.best.theta.length !== objective.size) {
      throw new UsageError(`--resume ${resumeDir}: its saved parameters have ${saved.loop.best.theta.length} values, this scene's ${config.params.join(', ')} have ${objective.size} (a folder from another version of the scene)`);
    }
    const loop = saved?.loop ?? initialLoopState(theta0);
    if (saved) opt.load(saved.optimizer);
    const history = trimProgress(join(dir, 'progress.jsonl'), loop.iteration);
    const losses = history.map((r) => r.loss);
    const bests = history.map((r) => r.bestLoss);
    let seconds = saved?.seconds ?? 0;

    const memory = objective.rollout.memory();
    const sampling = config.optimizer === 'cem' || config.optimizer === 'spsa' || config.optimizer === 'hybrid';
    const sortEvery = 'particles' in scene ? scene.sortEvery ?? 0 : 0;
    if (resumeDir && !saved) out(`resuming ${resumeDir}: it stopped before its first iteration was saved, so this starts from the first`);
    out(`${saved ? 'resuming' : 'optimizing'} ${scene.name} with ${config.optimizer}: ${config.params.join(', ')} (${plural(objective.size, 'value')}); ${objective.sim.state.items} items, ${config.steps} steps${sortEvery ? ` (particles sorted every ${sortEvery})` : ''}${config.optimizer === 'cem' ? '' : `, lr ${config.lr}`}${sampling ? `, ${opt.points ?? config.population} points per iteration as batch copies${opt.points !== undefined && opt.points < config.population ? ` (spsa: the current point and ${(opt.points - 1) / 2} antithetic pair${opt.points === 3 ? '' : 's'})` : ''}` : ''}, ${plural(config.iterations, 'iteration')}${saved ? ` (from iteration ${loop.iteration})` : ''}`);
    if (objective.shared > 1) {
      out(objective.o.draws
        ? `shared: ${objective.shared} batch copies run each point; each gradient commands them goals drawn stratified over the range of the controller's ${JSON.stringify(objective.o.goals)}, the loss is at those listed goals; both are means over the copies`
        : `shared: ${objective.shared} batch copies run each point, commanded the controller's goals ${JSON.stringify(objective.o.goals)}; the loss and gradient are their means`);
    }
    const W = config.window;
    const window = W === undefined || sampling && config.optimizer !== 'hybrid' ? ''
      : W < config.steps ? `; each backward reverses the last ${W} of ${config.steps} steps (--window)` : `; --window ${W} reaches back past all ${config.steps} steps: each backward is the whole one`;
    out(`tape: ${memory.storedStates} stored states (${(memory.tapeBytes / 2 ** 20).toFixed(1)} MiB, ${(100 * memory.ratio).toFixed(1)}% of a full tape)${window}`);
    out(`results: ${dir}`);

    stop = onInterrupt();
    const tty = !o.json && !o.quiet && process.stdout.isTTY;
    const startIteration = loop.iteration;
    const t0 = performance.now();
    // a blow-up or a non-finite gradient ends the run, after the results so far are written
    let failure: RolloutError | OptimizeError | null = null;
    try {
      while (loop.iteration < config.iterations && !stop.stop) {
        const { record: rec, point } = await iterate(objective, opt, loop, { population: config.population });
        seconds += rec.seconds;
        losses.push(rec.loss);
        bests.push(rec.bestLoss);
        // progress first, then the state: a crash between them is undone by trimProgress on resume
        // the parameters themselves where they are few (a control track's thousands go to best.json only)
        appendJsonLine(join(dir, 'progress.jsonl'), objective.size <= 64 ? { ...rec, params: objective.params.named(point) } : rec);
        writeJson(join(dir, 'state.json'), { loop, optimizer: opt.save(), seconds } satisfies Saved);
        writeAtomic(join(dir, 'loss.svg'), lossSvg(scene.name, losses, bests, config.threshold));
        if (rec.bestLoss < (bests.at(-2) ?? Infinity) || loop.iteration === 1) {
          writeJson(join(dir, 'best.json'), { scene: scene.name, iteration: loop.best.iteration + 1, loss: finiteOrNull(loop.best.loss), params: objective.params.named(Float64Array.from(loop.best.theta)) });
        }
        const rate = (loop.iteration - startIteration) / ((performance.now() - t0) / 1000);
        const eta = (config.iterations - loop.iteration) / rate;
        const line = `iter ${String(loop.iteration).padStart(String(config.iterations).length)}/${config.iterations}  loss ${rec.loss.toExponential(4)}  best ${rec.bestLoss.toExponential(4)}`
          + `  |grad| ${rec.gradientNorm === null ? '-' : rec.gradientNorm.toExponential(2)}${rec.report === null ? '' : `  metric ${rec.report.toPrecision(4)}`}  ${rate.toFixed(2)} it/s  ETA ${fmtTime(eta)}  (${rec.optimizer})`;
        if (tty) process.stdout.write(`\r${line}\x1b[K`); else out(line);
        if (rec.warning) { if (tty) process.stdout.write('\n'); console.error(`warning: ${rec.warning}${rec.cliAdvice ? `; ${rec.cliAdvice}` : ''}`); }
      }
    } catch (e) {
      if (!(e instanceof RolloutError || e instanceof OptimizeError)) throw e;
      failure = e;
    } finally {
      if (tty) process.stdout.write('\n');
    }
    // a Ctrl-C after the last iteration (while the replay is recorded, say) interrupted nothing; the
    // handler stays until the end, so that one does not kill the process before the summary is written
    const interrupted = stop.stop && loop.iteration < config.iterations;

    // the best point's trajectory, for the viewer
    const best = Float64Array.from(loop.best.theta);
    const named = objective.params.named(best);
    const inputs = objective.inputsAt(best); // every copy that shares the point, each with its goal
    objective.sim.writeParams(inputs.ctrl);
    const every = Math.max(1, Math.round(config.steps / 100));
    const { frames } = await recordFrames(objective.sim, config.steps, every, inputs.state0);
    // a tuned body's tracks and tuned actuation rows, so the viewer draws the body where it moved and
    // colours by the actuation that ran (scene.json keeps the start, for --resume)
    const tunedBodies = config.params.some((n) => /^(colliders|grippers)\[/.test(n)), tunedAct = config.params.some((n) => /^actuation/.test(n));
    const tracks = tunedBodies || tunedAct ? bodyTracks(objective.sim.params, objective.sim.params.unpack(inputs.ctrl, 0)) : undefined;
    if (tracks) for (const k of Object.keys(tracks)) if (k === 'actuation' ? !tunedAct : !tunedBodies) delete tracks[k];
    // a controller's: the rows its MLP wrote in that forward, not the scene's it overwrote
    const ran = await controllerActuation(objective.sim);
    writeReplay(dir, scene, objective.sim, frames, every, ran ? { ...tracks, ...ran } : tracks);
    writeAtomic(join(dir, 'best-scene.json'), exportSceneJson(tunedScene(scene, objective.params, best, config.steps)));

    const bestLoss = finiteOrNull(loop.best.loss);
    let bestMetric: number | null = null;
    if (bestLoss !== null) {
      const r = (await objective.value(best)).report;
      if (r?.length) bestMetric = r.reduce((a, x) => a + x, 0) / r.length;
    }
    const summary: OptimizeSummary = {
      scene: scene.name, optimizer: config.optimizer, params: config.params, iters: loop.iteration,
      initialLoss: finiteOrNull(loop.initialLoss), finalLoss: finiteOrNull(losses.at(-1)), bestLoss, bestIteration: loop.best.iteration + 1,
      threshold: config.threshold, success: config.threshold !== null && bestLoss !== null && bestLoss <= config.threshold, bestMetric,
      interrupted, seconds, dir, best: named, ...(failure ? { error: failure.message } : {}),
    };
    writeJson(join(dir, 'summary.json'), summary);
    if (failure) {
      out(`stopped at iteration ${loop.iteration + 1}; the results of the ${loop.iteration} before are in ${dir}`);
      if (o.json) console.log(JSON.stringify({ ...summary, best: undefined })); // with its error, as --json promises a last line
      throw failure;
    }
    out(`${interrupted ? 'interrupted; ' : ''}best loss ${bestLoss === null ? '-' : bestLoss.toExponential(4)} at iteration ${summary.bestIteration}${bestMetric === null ? '' : ` (metric ${bestMetric.toPrecision(4)})`}`
      + `${config.threshold !== null ? ` (threshold ${config.threshold.toPrecision(3)}: ${summary.success ? 'solved' : 'not reached'})` : ''}`);
    out(`results in ${dir}: summary.json, best.json, loss.svg, progress.jsonl, the best trajectory in replay.json + replay.bin`
      + ` (npx torsion view ${dir} plays it) and its scene in best-scene.json (npx torsion run --scene-file ${join(dir, 'best-scene.json')} runs it and gives its loss)`);
    if (interrupted) out(`continue with: npx torsion optimize --resume ${dir}`);
    if (o.json) console.log(JSON.stringify({ ...summary, best: undefined })); // the parameters are in best.json
    return { dir, losses, summary };
  } finally {
    stop?.dispose();
    objective?.destroy();
    gpu.destroy();
  }
}

/** `n thing` or `n things`. */
function plural(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? '' : 's'}`;
}
