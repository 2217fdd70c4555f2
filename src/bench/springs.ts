// Throughput of SpringSim's step and step adjoint, and the cost of a checkpointed gradient, on the
// wall clock (lavapipe has no timestamps): the ratios come from measurements taken back to back in
// one run, so they hold on a shared machine where absolute times drift.
import type { GpuContext } from '../gpu/device';
import type { SpringScene } from '../springs/scene';
import { SpringSim, type AdjointPath } from '../springs/simulator';
import { Rollout } from '../core/rollout';
import { encodeSteps, median, timed } from './timing';

export interface SpringBenchRow {
  label: string;
  dim: number;
  vertices: number;
  springs: number;
  triangles: number;
  /** Forward steps per second over a whole T-step rollout (submits and waits included). */
  stepsPerSec: number;
  vertexStepsPerSec: number;
  /** One step adjoint over one forward step, each timed over `stepSamples` steps from a fixed state (best of three). */
  backwardForwardRatio: number;
  /** A checkpointed T-step gradient (forward with checkpoints, then backward) over the T-step forward rollout: the median of back-to-back pairs. */
  gradientForwardRatio: number;
  /** Seconds of one gradient (forward + backward over T steps), the optimiser's iteration. */
  gradientSeconds: number;
  checkpointMemoryRatio: number;
  /**
   * Steps of the rollout at which self-contact pairs acted (SpringSim.contactPairSteps); the step
   * adjoints of the others skip the contact grid. Null without self-contact records.
   */
  contactPairSteps: number | null;
  horizon: number;
  /** The step adjoint that ran (SpringSim's adjointPath). */
  adjointPath: 'split' | 'fused';
}

export async function benchSprings(gpu: GpuContext, label: string, scene: SpringScene, o: { horizon: number; stepSamples: number; pairs: number; adjoint?: AdjointPath }): Promise<SpringBenchRow> {
  const sim = await SpringSim.create(gpu, { ...scene, steps: o.horizon }, { adjoint: o.adjoint });
  const T = o.horizon, n = o.stepSamples;
  sim.ensureSteps(Math.max(T, n) + 1);
  const a = sim.createState('bench.a', sim.state0), b = sim.createState('bench.b');
  const ga = sim.createState('bench.ga'), gb = sim.createState('bench.gb');
  try {
    const perSubmit = 64;
    const forwardSteps = () => timed(gpu, () => encodeSteps(sim, n, perSubmit, sim.workKind.step, (pass, k) => sim.encodeStep(pass, k % 2 ? b : a, k % 2 ? a : b, k)));
    const adjointSteps = () => timed(gpu, () => encodeSteps(sim, n, perSubmit, sim.workKind.adjoint,
      (pass, k) => sim.encodeStepAdjoint(pass, { sIn: a, sOut: b, gOut: k % 2 ? gb : ga, gIn: k % 2 ? ga : gb, step: k, sPrev: null })));
    await forwardSteps();
    await adjointSteps();
    let fwd = Infinity, bwd = Infinity;
    for (let r = 0; r < 3; r++) {
      fwd = Math.min(fwd, await forwardSteps());
      bwd = Math.min(bwd, await adjointSteps());
    }
    const rollout = new Rollout(sim, T, 'auto');
    await rollout.forward();
    await rollout.backward(ga);
    const ratios: number[] = [];
    let forwardT = Infinity, gradT = Infinity;
    for (let r = 0; r < o.pairs; r++) {
      const f = await timed(gpu, async () => { await rollout.forward(); });
      const g = await timed(gpu, async () => { await rollout.forward(); await rollout.backward(ga); });
      forwardT = Math.min(forwardT, f);
      gradT = Math.min(gradT, g);
      ratios.push(g / f);
    }
    const memory = rollout.memory();
    const contactPairSteps = await sim.contactPairSteps(T);
    rollout.destroy();
    const m = sim.model;
    return {
      label, dim: m.dim, vertices: m.n, springs: m.springRest.length, triangles: m.triArea.length,
      stepsPerSec: T / forwardT,
      vertexStepsPerSec: (T * m.n) / forwardT,
      backwardForwardRatio: bwd / fwd,
      gradientForwardRatio: median(ratios),
      gradientSeconds: gradT,
      checkpointMemoryRatio: memory.ratio,
      contactPairSteps,
      horizon: T,
      adjointPath: sim.adjointPath,
    };
  } finally {
    for (const x of [a, b, ga, gb]) x.destroy();
    sim.destroy();
  }
}
