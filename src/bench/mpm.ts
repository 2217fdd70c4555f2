// Throughput of the MPM step and its adjoint, and the cost of a checkpointed gradient.
// Ratios are measured in one run on one device, so they mean something on a noisy shared machine
// where absolute times do not.
import type { GpuContext } from '../gpu/device';
import type { MpmScene } from '../mpm/scene';
import { MpmSim } from '../mpm/simulator';
import { Rollout } from '../core/rollout';
import { adjointStepRatio } from './adjoint-ratio';
import { forwardTwin, interleavedGradientRatio } from './gradient-ratio';
import { encodeSteps, median, timed } from './timing';

export interface BenchRow {
  dim: number;
  particles: number;
  grid: number[];
  material: string;
  /**
   * Particle-steps/s of the whole T-step forward rollout (Rollout.forward from the scene's initial
   * state, checkpoints included), on the wall clock: what a user's rollout sees (best of the runs).
   */
  wallRolloutParticleStepsPerSec: number;
  /** T x particles over the wall-clock seconds of one checkpointed gradient (forward + backward), best of the runs. */
  wallGradientParticleStepsPerSec: number;
  /** Steps/s of `stepSamples` forward steps from the scene's initial state (wall clock, best of three). */
  forwardStepsPerSec: number;
  particleStepsPerSec: number;
  /**
   * Particle-steps/s over the whole T-step forward rollout (GPU time where the gradient ratio is
   * measured on the GPU's clock): lower than particleStepsPerSec (steps from the scene's initial,
   * stencil-sorted state) once particles mix and P2G's runs shorten.
   */
  rolloutParticleStepsPerSec: number;
  /**
   * One step adjoint (grid recompute included) over one forward step: on the GPU's clock where the
   * device has timestamp-query (bench-adjoint-ratio.ts), else best-of-three wall times.
   */
  backwardForwardRatio: number;
  /**
   * A whole checkpointed T-step gradient (forward with checkpoints + backward) over the T-step
   * forward rollout: on the GPU's clock, the forward interleaved with the gradient, where the device
   * has timestamp-query (bench-gradient-ratio.ts; the median of three to nine), else the median over
   * back-to-back wall-clock pairs.
   */
  gradientForwardRatio: number;
  /** Checkpointed over full-tape state bytes for T steps. */
  checkpointMemoryRatio: number;
  horizon: number;
  /** Steps between particle sorts (MpmSim's sortEvery; 0: none). */
  sortEvery: number;
}

export async function benchScene(gpu: GpuContext, scene: MpmScene, material: string, o: { horizon: number; stepSamples: number; sortEvery?: number }): Promise<BenchRow> {
  const sim = await MpmSim.create(gpu, { ...scene, steps: o.horizon }, { sortEvery: o.sortEvery });
  const T = o.horizon;
  sim.ensureSteps(Math.max(T, o.stepSamples) + 1);
  const n = o.stepSamples;
  const a = sim.createState('bench.a', sim.packed.state0);
  const b = sim.createState('bench.b');
  const ga = sim.createState('bench.ga');
  const gb = sim.createState('bench.gb');
  try {
    const forwardSteps = () => timed(gpu, () => encodeSteps(sim, n, 32, sim.workKind.step, (pass, k) => sim.encodeStep(pass, k % 2 ? b : a, k % 2 ? a : b, k)));
    // the adjoint of a step from a fixed state: the same work whatever the state holds
    const adjointSteps = () => timed(gpu, () => encodeSteps(sim, n, 32, sim.workKind.adjoint, (pass, k) => sim.encodeStepAdjoint(pass, { sIn: a, sOut: b, gOut: k % 2 ? gb : ga, gIn: k % 2 ? ga : gb, step: k, sPrev: null })));
    // Untimed: warms up pipelines and bind groups and settles the pacer's estimates (src/gpu/pacer.ts).
    await forwardSteps();
    await adjointSteps();
    const onGpuClock = await adjointStepRatio(sim, a, o.horizon > 100 ? {} : { pairs: 2, rounds: 2, perPass: 1 });
    // Alternating, best of three each: a shared machine's slow spells then hit both alike. The wall
    // clock adjoint samples are only the fallback for a device without timestamps.
    let fwd = Infinity;
    let bwd = Infinity;
    for (let r = 0; r < 3; r++) {
      fwd = Math.min(fwd, await forwardSteps());
      if (onGpuClock === null) bwd = Math.min(bwd, await adjointSteps());
    }
    const rollout = new Rollout(sim, T, 'auto');
    let forwardT = Infinity;
    const ratios: number[] = [];
    const long = o.horizon > 100;
    // Untimed: the first gradient touches the tape's buffers for the first time (page faults on a
    // CPU driver), as an optimisation does once.
    await rollout.forward();
    await rollout.backward(ga);
    // As many measurements as fit in about 90 s, and at least three on the GPU clock (up to nine),
    // else two to five wall-clock pairs: a shared machine's speed drifts within the seconds one
    // gradient takes, and single measurements of a 3D row spread widely.
    const t0 = performance.now();
    const enough = (r: number, least: number) => r + 1 >= least && ((performance.now() - t0) / 1000) * (r + 2) / (r + 1) > 90;
    const twin = sim.device.features.has('timestamp-query') ? await forwardTwin(sim) : null;
    try {
      for (let r = 0; twin && r < (long ? 9 : 1); r++) {
        const m = (await interleavedGradientRatio(rollout, ga, twin))!;
        forwardT = Math.min(forwardT, m.forwardSeconds);
        ratios.push(m.ratio);
        if (enough(r, 3)) break;
      }
    } finally {
      twin?.destroy();
    }
    // Without timestamps: pairs of a forward rollout and a gradient, back to back, and the median
    // of their ratios: the two halves of a pair share the machine's speed of the moment.
    const onWallClock = ratios.length === 0;
    for (let r = 0; onWallClock && r < (long ? 5 : 1); r++) {
      const f = await timed(gpu, async () => { await rollout.forward(); });
      const g = await timed(gpu, async () => { await rollout.forward(); await rollout.backward(ga); });
      forwardT = Math.min(forwardT, f);
      ratios.push(g / f);
      if (enough(r, 2)) break;
    }
    // What a user sees: the whole rollout and the whole gradient on the wall clock, back to back
    // (a pair shares the machine's speed of the moment), the best of two pairs (one for --quick).
    let wallF = Infinity;
    let wallG = Infinity;
    for (let r = 0; r < (long ? 2 : 1); r++) {
      wallF = Math.min(wallF, await timed(gpu, async () => { await rollout.forward(); }));
      wallG = Math.min(wallG, await timed(gpu, async () => { await rollout.forward(); await rollout.backward(ga); }));
    }
    const memory = rollout.memory();
    rollout.destroy();
    const stepsPerSec = n / fwd;
    return {
      dim: scene.dim,
      particles: sim.packed.n,
      grid: scene.grid.res.slice(),
      material,
      wallRolloutParticleStepsPerSec: (T * sim.packed.n) / wallF,
      wallGradientParticleStepsPerSec: (T * sim.packed.n) / wallG,
      forwardStepsPerSec: stepsPerSec,
      particleStepsPerSec: stepsPerSec * sim.packed.n,
      rolloutParticleStepsPerSec: (T * sim.packed.n) / forwardT,
      backwardForwardRatio: onGpuClock ?? bwd / fwd,
      gradientForwardRatio: median(ratios),
      checkpointMemoryRatio: memory.ratio,
      horizon: T,
      sortEvery: sim.sortEvery,
    };
  } finally {
    for (const x of [a, b, ga, gb]) x.destroy();
    sim.destroy();
  }
}
