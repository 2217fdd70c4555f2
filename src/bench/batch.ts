// What batching pays: B copies of the 2D spring walker stepped in the same dispatches, forward
// rollouts and checkpointed gradients, on the wall clock. Copy-steps per second are steps times
// copies: a population of B points costs one rollout of B copies, not B rollouts.
import type { GpuContext } from '../gpu/device';
import { Rollout } from '../core/rollout';
import { createSimulator, type CreateOptions, type Scene } from '../simulators';
import { timed } from './timing';

export interface BatchBenchRow {
  label: string;
  batch: number;
  items: number;
  horizon: number;
  /** Forward steps per second summed over the copies (B T / seconds of a T-step rollout). */
  copyStepsPerSec: number;
  /** The same for a checkpointed gradient (forward + backward) of every copy. */
  gradientCopyStepsPerSec: number;
  /** copyStepsPerSec over that of B = 1 in the same run. */
  speedup: number;
}

export async function benchBatch(gpu: GpuContext, label: string, scene: Scene, batches: number[], o: { horizon: number; repeats: number; adjoint?: CreateOptions['adjoint'] }): Promise<BatchBenchRow[]> {
  const rows: BatchBenchRow[] = [];
  for (const B of batches) {
    const sim = await createSimulator(gpu, { ...scene, steps: Math.max(scene.steps, o.horizon) }, { batch: B, adjoint: o.adjoint });
    const rollout = new Rollout(sim, o.horizon, 'auto');
    const g = sim.createState('bench.batch.grad', new Float32Array(sim.stateBytes / 4).fill(1e-3));
    try {
      await rollout.forward();
      await rollout.backward(g);
      let fwd = Infinity, grad = Infinity;
      for (let r = 0; r < o.repeats; r++) {
        fwd = Math.min(fwd, await timed(gpu, async () => { await rollout.forward(); }));
        grad = Math.min(grad, await timed(gpu, async () => { await rollout.forward(); await rollout.backward(g); }));
      }
      const copySteps = B * o.horizon;
      rows.push({ label, batch: B, items: sim.state.items, horizon: o.horizon, copyStepsPerSec: copySteps / fwd, gradientCopyStepsPerSec: copySteps / grad, speedup: 0 });
    } finally {
      g.destroy();
      rollout.destroy();
      sim.destroy();
    }
  }
  const one = rows.find((r) => r.batch === 1)?.copyStepsPerSec ?? rows[0].copyStepsPerSec;
  for (const r of rows) r.speedup = r.copyStepsPerSec / one;
  return rows;
}
