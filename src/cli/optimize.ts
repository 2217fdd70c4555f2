// `torsion optimize <scene>`: gradient descent (Adam) on the scene's optimisation parameter through
// a checkpointed rollout. Today's parameter: the initial velocity shared by all particles.
// Results: progress.jsonl (a line per iteration, appended as it happens), best.json (rewritten
// atomically on every improvement), summary.json and scene.json in the run folder.
import { join } from 'node:path';
import { Adam } from '../opt/adam';
import { requestGpu } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { ComTargetLoss } from '../core/loss';
import type { MpmScene } from '../mpm/scene';
import { MpmSim } from '../mpm/simulator';
import { particleStride } from '../mpm/layout';
import { Rollout, type TapeMemory } from '../core/rollout';
import type { CheckpointMode } from '../core/checkpoint-schedule';
import { UsageError } from './args';
import { appendJsonLine, makeRunDir, onInterrupt, writeJson } from './results';

export interface OptimizeOptions {
  iterations?: number;
  lr?: number;
  steps?: number;
  out?: string;
  checkpoint?: CheckpointMode;
  quiet?: boolean;
}

export interface OptimizeResult {
  dir: string;
  losses: number[];
  best: { iteration: number; loss: number; initialVelocity: number[] };
  memory: TapeMemory;
}

function withVelocity(state0: Float32Array, dim: number, v: ArrayLike<number>): Float32Array {
  const s = state0.slice();
  const ps = particleStride(dim);
  for (let o = 0; o < s.length; o += ps) for (let i = 0; i < dim; i++) s[o + dim + i] = v[i];
  return s;
}

export async function optimizeScene(scene: MpmScene, o: OptimizeOptions = {}): Promise<OptimizeResult> {
  if (!scene.loss) throw new UsageError(`scene '${scene.name}' defines no loss: nothing to optimize`);
  const spec = scene.optimize ?? { param: 'initialVelocity', learningRate: 0.1, iterations: 30 };
  const iterations = o.iterations ?? spec.iterations;
  const lr = o.lr ?? spec.learningRate;
  const steps = o.steps ?? scene.steps;
  const dim = scene.dim;
  const dir = makeRunDir(o.out, 'optimize', scene.name);
  const log = (s: string) => { if (!o.quiet) console.log(s); };
  writeJson(join(dir, 'scene.json'), scene);
  const gpu = await requestGpu();
  const sim = await MpmSim.create(gpu, scene);
  const loss = await ComTargetLoss.create(sim, scene.loss);
  const rollout = new Rollout(sim, steps, o.checkpoint ?? 'auto');
  const stop = onInterrupt();
  const memory = rollout.memory();
  log(`optimizing ${scene.name}: ${sim.packed.n} particles, ${steps} steps, Adam lr ${lr}, ${iterations} iterations`);
  log(`tape: ${memory.storedStates} stored states (${(memory.tapeBytes / 2 ** 20).toFixed(1)} MiB, ${(100 * memory.ratio).toFixed(1)}% of a full tape), segments of up to ${memory.segmentLength} steps`);
  log(`results: ${dir}`);
  // the parameter: the mean initial velocity of the scene
  const theta = new Float64Array(dim);
  const v0 = scene.particles.v;
  for (let p = 0; p < v0.length / dim; p++) for (let i = 0; i < dim; i++) theta[i] += v0[p * dim + i] / (v0.length / dim);
  const adam = new Adam(dim, { lr });
  const losses: number[] = [];
  let best = { iteration: -1, loss: Infinity, initialVelocity: Array.from(theta) };
  const ps = particleStride(dim);
  try {
    for (let it = 0; it < iterations && !stop.stop; it++) {
      const t0 = performance.now();
      await rollout.forward(withVelocity(sim.packed.state0, dim, theta));
      const L = await loss.evaluate(rollout.final.buf);
      const g0 = await readF32(gpu.device, await rollout.backward(loss.grad));
      const grad = new Float64Array(dim);
      for (let off = 0; off < g0.length; off += ps) for (let i = 0; i < dim; i++) grad[i] += g0[off + dim + i];
      const value = L.values[0];
      if (!Number.isFinite(value)) throw new Error(`iteration ${it}: loss is ${value}`);
      losses.push(value);
      const record = { iteration: it, loss: value, initialVelocity: Array.from(theta), gradient: Array.from(grad), com: L.com[0], seconds: (performance.now() - t0) / 1000 };
      appendJsonLine(join(dir, 'progress.jsonl'), record);
      if (value < best.loss) {
        best = { iteration: it, loss: value, initialVelocity: Array.from(theta) };
        writeJson(join(dir, 'best.json'), { scene: scene.name, ...best, com: L.com[0], target: scene.loss.target });
      }
      log(`iter ${String(it + 1).padStart(3)}/${iterations}  loss ${value.toExponential(4)}  v0 [${Array.from(theta, (x) => x.toFixed(4)).join(', ')}]  com [${L.com[0].map((x) => x.toFixed(4)).join(', ')}]  ${record.seconds.toFixed(2)} s`);
      // When the loss goes up, Adam's momentum has carried it past the optimum: restart from the
      // best point with half the rate (plain Adam circles the optimum at a fixed rate).
      if (value > best.loss) {
        theta.set(best.initialVelocity);
        adam.reset();
        adam.lr *= 0.5;
        continue;
      }
      adam.step(theta, grad);
    }
  } finally {
    writeJson(join(dir, 'summary.json'), { scene: scene.name, iterations: losses.length, interrupted: stop.stop, losses, best, memory });
    stop.dispose();
    rollout.destroy();
    loss.destroy();
    sim.destroy();
    gpu.destroy();
  }
  log(`best loss ${best.loss.toExponential(4)} at iteration ${best.iteration + 1}; results in ${dir}`);
  return { dir, losses, best, memory };
}
