// `torsion optimize <scene>`: gradient descent (Adam) through a checkpointed rollout on the
// parameters the scene names (scene.optimize.params: src/opt/parameters.ts), for any simulator.
// Results: progress.jsonl (a line per iteration, appended as it happens), best.json (rewritten
// atomically on every improvement), summary.json and scene.json in the run folder.
import { join } from 'node:path';
import { Adam } from '../opt/adam';
import { ParameterVector } from '../opt/parameters';
import { requestGpu } from '../gpu/device';
import { readF32 } from '../gpu/buffers';
import { createLoss } from '../core/loss';
import { optimizeParams } from '../mpm/scene';
import { Rollout, type TapeMemory } from '../core/rollout';
import type { CheckpointMode } from '../core/checkpoint-schedule';
import { createSimulator, paramNames, type Scene } from '../simulators';
import { UsageError } from './args';
import { appendJsonLine, makeRunDir, onInterrupt, writeJson } from './results';

export interface OptimizeOptions {
  iterations?: number;
  lr?: number;
  steps?: number;
  out?: string;
  checkpoint?: CheckpointMode;
  /** Parameter names instead of the scene's. */
  params?: string[];
  quiet?: boolean;
}

export interface OptimizeResult {
  dir: string;
  losses: number[];
  best: { iteration: number; loss: number; params: Record<string, number[]> };
  memory: TapeMemory;
}

const fmt = (v: number[]) => (v.length <= 4 ? `[${v.map((x) => x.toPrecision(4)).join(', ')}]` : `${v.length} values`);

export async function optimizeScene(scene: Scene, o: OptimizeOptions = {}): Promise<OptimizeResult> {
  if (!scene.loss) throw new UsageError(`scene '${scene.name}' defines no loss: nothing to optimize`);
  const iterations = o.iterations ?? scene.optimize?.iterations ?? 30;
  const lr = o.lr ?? scene.optimize?.learningRate ?? 0.1;
  const steps = o.steps ?? scene.steps;
  const names = o.params ?? optimizeParams(scene.optimize);
  const known = paramNames(scene);
  for (const n of names) if (!known.includes(n)) throw new UsageError(`'${n}' is not a parameter of this scene: allowed ${known.join(', ')}`);
  if (names.length === 0) throw new UsageError('--params: name at least one parameter');
  const gpu = await requestGpu();
  const sim = await createSimulator(gpu, scene);
  const params = new ParameterVector(sim, names);
  // the folder only once the run can start: a run that fails to start leaves nothing behind
  const dir = makeRunDir(o.out, 'optimize', scene.name);
  const log = (s: string) => { if (!o.quiet) console.log(s); };
  writeJson(join(dir, 'scene.json'), scene);
  const loss = await createLoss(sim, scene.loss);
  const rollout = new Rollout(sim, steps, o.checkpoint ?? 'auto');
  const stop = onInterrupt();
  const memory = rollout.memory();
  log(`optimizing ${scene.name}: ${names.join(', ')} (${params.size} values); ${sim.state.items} items, ${steps} steps, Adam lr ${lr}, ${iterations} iterations`);
  log(`tape: ${memory.storedStates} stored states (${(memory.tapeBytes / 2 ** 20).toFixed(1)} MiB, ${(100 * memory.ratio).toFixed(1)}% of a full tape), segments of up to ${memory.segmentLength} steps`);
  log(`results: ${dir}`);
  const theta = params.initial();
  const adam = new Adam(params.size, { lr });
  const losses: number[] = [];
  let bestTheta = theta.slice();
  let best = { iteration: -1, loss: Infinity, params: params.named(theta) };
  const writesCtrl = params.parts.some((p) => p.name !== 'initialVelocity');
  try {
    for (let it = 0; it < iterations && !stop.stop; it++) {
      const t0 = performance.now();
      const inputs = params.inputs(theta);
      if (writesCtrl) sim.writeParams(inputs.ctrl);
      await rollout.forward(inputs.state0);
      const L = await loss.evaluate(rollout.final.buf);
      const gState = await readF32(gpu.device, await rollout.backward(loss.grad));
      const grad = params.gradient(gState, await readF32(gpu.device, sim.paramGrad));
      const value = L.values[0];
      if (!Number.isFinite(value)) throw new Error(`iteration ${it}: loss is ${value}`);
      losses.push(value);
      const named = params.named(theta);
      const gradNorm = Math.hypot(...grad);
      const record = { iteration: it, loss: value, params: named, gradientNorm: gradNorm, com: L.com[0], seconds: (performance.now() - t0) / 1000 };
      appendJsonLine(join(dir, 'progress.jsonl'), record);
      if (value < best.loss) {
        bestTheta = theta.slice();
        best = { iteration: it, loss: value, params: named };
        writeJson(join(dir, 'best.json'), { scene: scene.name, ...best, com: L.com[0], target: scene.loss.target });
      }
      const shown = Object.entries(named).map(([k, v]) => `${k} ${fmt(v)}`).join('  ');
      log(`iter ${String(it + 1).padStart(3)}/${iterations}  loss ${value.toExponential(4)}  |grad| ${gradNorm.toExponential(2)}  ${shown}  ${record.seconds.toFixed(2)} s`);
      // When the loss goes up, Adam's momentum has carried it past the optimum: restart from the
      // best point with half the rate (plain Adam circles the optimum at a fixed rate).
      if (value > best.loss) {
        theta.set(bestTheta);
        adam.reset();
        adam.lr *= 0.5;
        continue;
      }
      adam.step(theta, grad);
      params.clamp(theta);
    }
  } finally {
    writeJson(join(dir, 'summary.json'), { scene: scene.name, params: names, iterations: losses.length, interrupted: stop.stop, losses, best, memory });
    stop.dispose();
    rollout.destroy();
    loss.destroy();
    sim.destroy();
    gpu.destroy();
  }
  log(`best loss ${best.loss.toExponential(4)} at iteration ${best.iteration + 1}; results in ${dir}`);
  return { dir, losses, best, memory };
}
