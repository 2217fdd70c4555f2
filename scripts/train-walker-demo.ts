// Trains the page's walker demo controller (src/viewer/demos.ts) and writes its weights to
// scenes/data/spring-walker-demo-2d.json. The scene is spring-walker-demo-2d (the spring walker with a
// controller blind to where it is: velocity, a 0.256 s clock and the commanded speed), so a walker
// moved back across the page walks on unchanged. Trained in stages of growing horizon, each
// warm-started from the last (Adam, stratified goals as spring-walker-2d), because one long
// rollout from the start gives a gradient too rough to learn a gait from. Then every trained speed
// is commanded over a long rollout and the speed held after the first second is printed.
//
//   npx vite-node scripts/train-walker-demo.ts [--stages 200:130,400:60,800:40] [--out FILE] [--eval-steps 4000]
import './v8-flags';
import { writeFileSync } from 'node:fs';
import { requestGpu } from '../src/gpu/device';
import { readF32 } from '../src/gpu/buffers';
import { SceneObjective } from '../src/opt/objective';
import { createOptimizer } from '../src/opt/optimizers';
import { initialLoopState, iterate } from '../src/opt/loop';
import { createSimulator } from '../src/simulators';
import { ParameterVector } from '../src/opt/parameters';
import { ControlledSim } from '../src/control/controlled-sim';
import { build, TRAIN_SPEEDS } from '../scenes/spring-walker-demo-2d';
import { validateScene } from '../src/mpm/validate';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const stages = opt('--stages', '200:130,400:60,800:40').split(',').map((s) => s.split(':').map(Number) as [number, number]);
const out = opt('--out', 'scenes/data/spring-walker-demo-2d.json');
const evalSteps = Number(opt('--eval-steps', '4000'));
const lr = Number(opt('--lr', '0.002'));
const startFrom = opt('--from', '');

const gpu = await requestGpu();
let theta: Float64Array | null = startFrom ? Float64Array.from(JSON.parse((await import('node:fs')).readFileSync(startFrom, 'utf8')).weights) : null;
const log: { steps: number; iterations: number; bestLoss: number; seconds: number }[] = [];
try {
  for (const [steps, iterations] of stages) {
    const scene = validateScene(build(steps));
    const so = scene.optimize!;
    const obj = await SceneObjective.create(gpu, scene, { params: ['controller'], steps, draws: { seed: 1 } });
    const t0 = performance.now();
    try {
      const theta0 = theta ?? obj.initial();
      const o = createOptimizer('adam', theta0, { lr: theta ? lr / 2 : lr, seed: 1, clip: so.clip, patience: so.patience }, obj.clamp);
      const state = initialLoopState(theta0);
      for (let k = 0; k < iterations; k++) {
        const { record } = await iterate(obj, o, state, { population: 1 });
        console.error(`${steps} steps: iter ${k + 1}/${iterations}  loss ${record.loss.toExponential(3)}  best ${record.bestLoss.toExponential(3)}  speed ${record.report?.toFixed(3)}`);
      }
      theta = Float64Array.from(state.best.theta);
      log.push({ steps, iterations, bestLoss: state.best.loss, seconds: (performance.now() - t0) / 1000 });
    } finally {
      obj.destroy();
    }
  }
  // long rollouts: every trained speed, one batch copy each
  const scene = validateScene(build(stages[stages.length - 1][0]));
  const sim = (await createSimulator(gpu, scene, { batch: TRAIN_SPEEDS.length })) as ControlledSim;
  const pv = new ParameterVector(sim, ['controller']);
  sim.writeParams(pv.inputsBatch(TRAIN_SPEEDS.map(() => theta!)).ctrl);
  sim.setGoals(TRAIN_SPEEDS.map((s) => [s]));
  sim.ensureSteps(evalSteps);
  let cur = [sim.createState('a', sim.state0), sim.createState('b')];
  const N = sim.state.items, S = sim.state.stride, w = sim.selection().weights;
  const com = async () => {
    const r = await readF32(gpu.device, cur[0]);
    return TRAIN_SPEEDS.map((_, c) => { let x = 0, m = 0; for (let i = 0; i < N; i++) { x += w[i] * r[(c * N + i) * S]; m += w[i]; } return x / m; });
  };
  const every = 500;
  const xs: number[][] = [await com()];
  for (let t = 0; t < evalSteps; t += every) {
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let k = 0; k < every; k++) { sim.encodeStep(pass, cur[0], cur[1], t + k); cur = [cur[1], cur[0]]; }
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    xs.push(await com());
  }
  const window = (a: number, b: number) => TRAIN_SPEEDS.map((_, c) => (xs[b][c] - xs[a][c]) / ((b - a) * every * scene.dt));
  for (let k = 1; k < xs.length; k++) console.error(`steps ${(k - 1) * every}-${k * every}: ` + window(k - 1, k).map((v, c) => `${TRAIN_SPEEDS[c]} -> ${v.toFixed(3)}`).join('  '));
  const held = window(2, xs.length - 1);
  console.error(`held from step ${2 * every} to ${evalSteps}: ` + held.map((v, c) => `${TRAIN_SPEEDS[c]} -> ${v.toFixed(3)}`).join('  '));
  const data = {
    scene: 'spring-walker-demo-2d',
    about: 'weights of the spring-walker-demo-2d controller for the page\'s walker demo; made by scripts/train-walker-demo.ts',
    stages: log,
    heldSpeeds: TRAIN_SPEEDS.map((s, c) => ({ commanded: s, achieved: Number(held[c].toFixed(4)) })),
    weights: Array.from(theta!, (x) => Number(Math.fround(x).toPrecision(8))),
  };
  writeFileSync(out, JSON.stringify(data) + '\n');
  console.log(`wrote ${out} (${JSON.stringify(data).length} bytes)`);
} finally {
  gpu.destroy();
}
