// `torsion mpc <scene> [--out DIR] [--json]`: model-predictive control as the scene's `mpc` field
// says (src/opt/mpc.ts). A line per re-plan (step, distance to the goal, the plan's loss); the
// results folder holds mpc.jsonl (those lines), the world's replay and summary.json. Ctrl-C stops
// after the current re-plan and keeps what ran; a blow-up keeps mpc.jsonl and says where in summary.json.
import { join } from 'node:path';
import { requestGpu } from '../gpu/device';
import { exportSceneJson } from '../mpm/validate';
import { runMpc } from '../opt/mpc';
import { RolloutError } from '../core/rollout';
import { checkMpcPlannable } from '../opt/mpc-checks';
import type { Scene } from '../simulators';
import { UsageError } from './args';
import { appendJsonLine, ensureDir, floatBytes, makeRunDir, onInterrupt, writeAtomic, writeJson } from './results';

export async function mpcScene(scene: Scene, o: { out?: string; json?: boolean }): Promise<number> {
  const mpc = scene.mpc;
  if (!mpc) throw new UsageError(`scene '${scene.name}' has no mpc field: nothing to control (see robot-chase-mpc-2d)`);
  checkMpcPlannable(scene); // before the folder and the GPU
  const out = o.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
  const dir = makeRunDir(o.out, 'mpc', scene.name, { create: false });
  const gpu = await requestGpu();
  ensureDir(dir);
  writeAtomic(join(dir, 'scene.json'), exportSceneJson(scene));
  out(`mpc ${scene.name}: re-plan ${mpc.horizon} steps every ${mpc.every} (${mpc.iterations} Adam iterations, lr ${mpc.learningRate}), ${scene.steps} steps; results: ${dir}`);
  const stop = onInterrupt();
  const t0 = performance.now();
  const frames: { step: number; distance: number }[] = [];
  try {
    const run = await runMpc(gpu, scene, mpc, {
      shouldStop: () => stop.stop,
      onFrame: (f) => {
        frames.push(f);
        appendJsonLine(join(dir, 'mpc.jsonl'), f);
        out(`step ${String(f.step).padStart(5)}/${scene.steps}  distance to goal ${f.distance.toFixed(4)}  plan loss ${f.planLoss.toExponential(3)}`);
      },
    });
    const all = new Float32Array(run.positions.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of run.positions) { all.set(p, off); off += p.length; }
    writeAtomic(join(dir, 'replay.bin'), floatBytes(all));
    writeJson(join(dir, 'replay.json'), { scene: scene.name, dim: scene.dim, particles: all.length / run.positions.length / scene.dim, batch: 1, frames: run.positions.length,
      stepsPerFrame: mpc.every, dt: scene.dt, layout: '[frame][batch][particle][dim] float32 positions' });
    const distances = run.frames.map((f) => f.distance);
    // a Ctrl-C after the last re-plan (while the replay is written, say) cut nothing short
    const steps = run.frames.at(-1)?.step ?? 0;
    const interrupted = stop.stop && steps < scene.steps;
    const summary = {
      scene: scene.name, steps, replans: run.frames.length, interrupted,
      meanDistance: distances.reduce((a, b) => a + b, 0) / Math.max(1, distances.length), maxDistanceAfterWarmup: run.maxDistanceAfterWarmup,
      // an interrupted run is not judged: the goal may have been lost in the steps it did not run
      tolerance: mpc.tolerance, warmup: mpc.warmup, success: run.success && !interrupted, seconds: (performance.now() - t0) / 1000, dir,
    };
    writeJson(join(dir, 'summary.json'), summary);
    const verdict = interrupted ? `interrupted at step ${summary.steps} of ${scene.steps}: not judged` : run.success ? 'held' : 'not held';
    // stopped before the warmup ended: no distance was judged (NaN in the run, null in summary.json)
    const largest = Number.isFinite(run.maxDistanceAfterWarmup) ? run.maxDistanceAfterWarmup.toFixed(4) : 'none (no step after it ran)';
    out(`largest distance after step ${mpc.warmup}: ${largest} (tolerance ${mpc.tolerance}: ${verdict}); ${summary.seconds.toFixed(1)} s`);
    if (o.json) console.log(JSON.stringify(summary));
    return interrupted ? 130 : 0;
  } catch (e) {
    // a blow-up: what ran is in mpc.jsonl; summary.json (and --json) say where it stopped, as optimize's do
    if (e instanceof RolloutError) {
      const summary = {
        scene: scene.name, steps: frames.at(-1)?.step ?? 0, replans: frames.length, interrupted: false, success: false,
        tolerance: mpc.tolerance, warmup: mpc.warmup, seconds: (performance.now() - t0) / 1000, dir, error: e.message, blewUpAt: e.step,
      };
      writeJson(join(dir, 'summary.json'), summary);
      if (o.json) console.log(JSON.stringify(summary));
    }
    throw e;
  } finally {
    stop.dispose();
    gpu.destroy();
  }
}
