// The loss of N random points of a scene's optimized parameters, evaluated as N batch copies in
// one rollout: the yardstick of tasks stated against random controls (mpm-walker-2d: the trained
// gait walks at least 3x as far as the best of 20 random periodic controls).
//
//   npx vite-node scripts/random-baseline.ts mpm-walker-2d [N = 20] [sigma = 1] [seed = 7]
//
// Each coefficient is drawn from N(0, sigma^2) (for 'actuation.periodic': tanh of a random
// bias and harmonics, so every channel swings through its whole range).
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { SceneObjective } from '../src/opt/objective';
import { shapeOptions } from '../src/opt/parameters';
import { Random } from '../src/core/rng';
import { optimizeParams } from '../src/mpm/scene';
import { buildScene } from '../scenes/index';

const [name = 'mpm-walker-2d', n = '20', sigma = '1', seed = '7'] = process.argv.slice(2);
const scene = buildScene(name);
const so = scene.optimize;
if (!so) throw new Error(`${name} optimizes nothing`);
const gpu = await requestGpu();
const obj = await SceneObjective.create(gpu, scene, { params: optimizeParams(so), steps: scene.steps, shape: shapeOptions(scene) });
try {
  const r = new Random(Number(seed));
  const points = Array.from({ length: Number(n) }, () => obj.initial().map(() => Number(sigma) * r.gauss()));
  const losses = await obj.losses(points);
  const sorted = losses.slice().sort((a, b) => a - b);
  console.log(`${name}: ${n} random points (sigma ${sigma}, seed ${seed}): best loss ${sorted[0].toExponential(4)}, median ${sorted[sorted.length >> 1].toExponential(4)}, worst ${sorted.at(-1)!.toExponential(4)}`);
} finally {
  obj.destroy();
  gpu.destroy();
}
