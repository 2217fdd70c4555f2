// gradient/forward of a T-step rollout on the GPU's own clock, for `torsion bench mpm`.
// Back-to-back wall-clock pairs of a forward rollout and a gradient disagree widely on a shared
// machine (docs/benchmarking.md), since its speed drifts over the seconds each half takes. So the forward rollout runs on a second simulator
// of the same scene, in chunks of the rollout's own steps per submit, interleaved with the
// gradient's command buffers so that both advance at the same pace, every pass of both timed with
// timestamps: a slow spell then falls on both. The pace is the gradient's work, not its submits:
// a backward submit carries about twice a forward one's, and chunks spread evenly over the submits
// put half the forward rollout beside the gradient's first third, where the same steps run
// faster than beside the backward. The
// figure is the GPU time of the whole checkpointed gradient (forward with checkpoints, then
// backward) over the GPU time of the T-step forward rollout.
import { MpmSim } from '../mpm/simulator';
import { PassTimer } from '../gpu/pass-timer';
import type { Rollout, RolloutQueue, SubmittedWork } from '../core/rollout';

export interface GradientRatio {
  /** Gradient GPU time over forward-rollout GPU time. */
  ratio: number;
  /** GPU seconds of the T-step forward rollout (interleaved). */
  forwardSeconds: number;
  /** What the rollout's backward returned: dL/d(state at 0). */
  gradient: GPUBuffer;
}

/** The second simulator the forward rollout runs on (reuse it across measurements of one scene). */
export function forwardTwin(sim: MpmSim): Promise<MpmSim> {
  return MpmSim.create(sim.gpu, sim.scene, { cache: sim.cache, sortEvery: sim.sortEvery });
}

/**
 * One interleaved measurement with `rollout` (its simulator's scene, T = rollout.steps) and gFinal
 * as the output gradient, the forward on `twin` (forwardTwin; made and destroyed here if not
 * given); null where the device has no timestamp-query.
 */
export async function interleavedGradientRatio(rollout: Rollout<MpmSim>, gFinal: GPUBuffer, twin?: MpmSim): Promise<GradientRatio | null> {
  const sim = rollout.sim;
  const dev = sim.device;
  if (!dev.features.has('timestamp-query')) return null;
  const T = rollout.steps;
  const ref = twin ?? await forwardTwin(sim);
  ref.ensureSteps(T);
  const s = [ref.createState('bench.ref.a', ref.packed.state0), ref.createState('bench.ref.b')];
  // the gradient submits once per stepsPerSubmit forward steps and once per stepsPerSubmit adjoints
  const submits = 2 * Math.ceil(T / rollout.stepsPerSubmit) + 1;
  const chunk = rollout.stepsPerSubmit;
  const timer = new PassTimer(dev, 4 * submits + 8 * rollout.schedule.starts.length + 64);
  // The gradient's work in forward steps: its forward, the recompute and T step adjoints at the
  // cost the pacer has learned for them (a guess before it has).
  const pacer = sim.gpu.pacer;
  const perStep = pacer.estimate(sim.workKind.step);
  const perAdjoint = pacer.estimate(sim.workKind.adjoint);
  const adjointCost = perStep && perAdjoint ? perAdjoint / perStep : 1.5;
  const total = T + rollout.schedule.recomputedSteps + adjointCost * T;
  let work = 0;
  let done = 0;
  const forwardChunk = (): void => {
    if (done >= T) return;
    const enc = dev.createCommandEncoder({ label: 'bench.forward' });
    const pass = enc.beginComputePass(timer.pass('bench.forward', 'forward'));
    const end = Math.min(T, done + chunk);
    for (let t = done; t < end; t++) ref.encodeStep(pass, s[t % 2], s[(t + 1) % 2], t);
    pass.end();
    dev.queue.submit([enc.finish()]);
    // the same steps as the rollout's, so the pacer's estimate for them applies (src/gpu/pacer.ts)
    ref.gpu.pacer.submitted(sim.workKind.step, end - done);
    done = end;
  };
  const plain = rollout.queue;
  try {
    const afterSubmit = (w: SubmittedWork) => {
      work += w.steps + adjointCost * w.adjoints;
      while (done + chunk / 2 < (T * work) / total) forwardChunk();
    };
    rollout.queue = timedQueue(plain, timer, 'gradient', afterSubmit);
    await rollout.forward();
    const gradient = await rollout.backward(gFinal);
    rollout.queue = plain;
    while (done < T) forwardChunk();
    await ref.gpu.pacer.idle();
    await timer.collect();
    const f = timer.total('forward');
    return { ratio: timer.total('gradient') / f, forwardSeconds: f, gradient };
  } finally {
    rollout.queue = plain;
    timer.destroy();
    for (const b of s) b.destroy();
    if (!twin) ref.destroy();
  }
}

/** `base` with every pass timed under `tag` and `afterSubmit` called after each submit. */
function timedQueue(base: RolloutQueue, timer: PassTimer, tag: string, afterSubmit: (w: SubmittedWork) => void): RolloutQueue {
  return {
    pass: (label) => timer.pass(label, tag),
    submit(commands, work) { base.submit(commands, work); afterSubmit(work); },
    idle: () => base.idle(),
  };
}
