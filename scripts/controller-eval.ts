// Does a controller trained on a batch of commanded speeds hold speeds it was not trained on? Commands
// the trained controller each trained speed and each speed halfway between two trained ones, all as
// batch copies of one forward rollout sharing its weights, and prints the mean speed each achieves
// over the rollout (the com-speed loss's report) against the command. Issue 18's target: an
// untrained command held within 20%.
//
//   npx vite-node scripts/controller-eval.ts <run folder of torsion optimize>   the run's best.json
//   npx vite-node scripts/controller-eval.ts <scene> [iterations]               trains first (adam, the scene's settings)
//   ... [--speeds 0.05,0.1]                                                      commands these instead
//
// The last line is one JSON object: scene, iterations, rows of { speed, trained, achieved, relError }.
import './v8-flags';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestGpu } from '../src/gpu/device';
import { SceneObjective, sharedGoals } from '../src/opt/objective';
import { createOptimizer } from '../src/opt/optimizers';
import { initialLoopState, iterate } from '../src/opt/loop';
import { optimizeParams } from '../src/mpm/scene';
import { loadScene } from '../src/cli/args';
import type { Scene } from '../src/simulators';

const args = process.argv.slice(2);
const at = args.indexOf('--speeds');
const given = at >= 0 ? args.splice(at, 2)[1].split(',').map(Number) : null;
const [target, iterArg] = args;
if (!target) throw new Error('usage: controller-eval.ts <run folder | scene> [iterations] [--speeds a,b,...]');

const fromRun = existsSync(join(target, 'best.json'));
const scene: Scene = fromRun ? loadScene(undefined, join(target, 'scene.json')) : loadScene(target, undefined);
const run = fromRun ? JSON.parse(readFileSync(join(target, 'run.json'), 'utf8')) as { params: string[]; steps: number; iterations: number } : null;
const params = run?.params ?? optimizeParams(scene.optimize);
const steps = run?.steps ?? scene.steps;
if (params.length !== 1 || params[0] !== 'controller') throw new Error(`${scene.name}: tunes ${params.join(', ')}; this script evaluates a controller ('controller' alone)`);
if (scene.loss?.kind !== 'com-speed') throw new Error(`${scene.name}: its loss is ${scene.loss?.kind}, not com-speed`);
const trained = (sharedGoals(scene) ?? []).map((g) => g[0]);
if (trained.length < 2) throw new Error(`${scene.name}: its controller lists fewer than two commanded speeds`);
const between = trained.slice(1).map((s, k) => (s + trained[k]) / 2);
const speeds = given ?? [...trained, ...between].sort((a, b) => a - b);

const gpu = await requestGpu();
try {
  let theta: Float64Array;
  let iterations: number;
  if (fromRun) {
    const best = JSON.parse(readFileSync(join(target, 'best.json'), 'utf8')) as { iteration: number; params: Record<string, number[]> };
    theta = Float64Array.from(best.params.controller);
    iterations = best.iteration;
  } else {
    const so = scene.optimize!;
    iterations = Number(iterArg ?? so.iterations);
    const obj = await SceneObjective.create(gpu, scene, { params, steps, ...(so.goals === 'stratified' ? { draws: { seed: 1 } } : {}) });
    try {
      const theta0 = obj.initial();
      const opt = createOptimizer('adam', theta0, { lr: so.learningRate, seed: 1, clip: so.clip, patience: so.patience }, obj.clamp);
      const state = initialLoopState(theta0);
      for (let k = 0; k < iterations; k++) {
        const { record } = await iterate(obj, opt, state, { population: 1 });
        console.error(`iter ${k + 1}/${iterations}  loss ${record.loss.toExponential(4)}  best ${record.bestLoss.toExponential(4)}`);
      }
      theta = Float64Array.from(state.best.theta);
    } finally {
      obj.destroy();
    }
  }
  const evalObj = await SceneObjective.create(gpu, scene, { params, steps, goals: speeds.map((s) => [s]) });
  try {
    if (evalObj.size !== theta.length) throw new Error(`the run's controller has ${theta.length} weights, this scene's ${evalObj.size}`);
    const v = await evalObj.value(theta);
    const rows = speeds.map((speed, b) => {
      const achieved = v.report![b];
      return { speed, trained: trained.some((t) => Math.abs(t - speed) < 1e-12), achieved, relError: Math.abs(achieved - speed) / Math.abs(speed) };
    });
    console.log(`${scene.name}: ${fromRun ? `best point of ${target} (iteration ${iterations})` : `trained ${iterations} iterations here`}, ${steps} steps (${(steps * scene.dt).toFixed(3)} s)`);
    console.log('  commanded   achieved   error    ');
    for (const r of rows) {
      console.log(`  ${r.speed.toFixed(4).padStart(9)}  ${r.achieved.toFixed(4).padStart(9)}  ${(100 * r.relError).toFixed(1).padStart(6)}%  ${r.trained ? 'trained' : `not trained: ${r.relError <= 0.2 ? 'held within 20%' : 'not within 20%'}`}`);
    }
    console.log(JSON.stringify({ scene: scene.name, iterations, steps, rows }));
  } finally {
    evalObj.destroy();
  }
} finally {
  gpu.destroy();
}
