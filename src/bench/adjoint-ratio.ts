// backward/forward of one MPM step on the GPU's own clock, for `torsion bench mpm`.
// Passes of forward steps and of step adjoints alternate inside each command buffer, every pass
// timestamped, and the ratio is the median over the pairs. So finely interleaved, a slow spell of a
// shared machine (the same work can take twice as long within a minute) falls on both
// sides of a pair, and the host's submits and waits are left out.
// The step adjoint is the one a rollout runs inside a segment (MpmSim.encodeStepAdjoint with the
// previous state: p2g replayed with g2p adjoint's scatter, the grid update's adjoint, p2g's adjoint
// fused with the previous step's per-particle terms), with nonzero gradient terms as in a rollout.
import type { MpmSim } from '../mpm/simulator';
import { PassTimer } from '../gpu/pass-timer';

export interface RatioOptions {
  pairs?: number;
  /** Command buffers; the first is a warm-up and is not counted. */
  rounds?: number;
  /** Steps per pass. */
  perPass?: number;
}

/** The median adjoint/forward time ratio, or null where the device has no timestamp-query. */
export async function adjointStepRatio(sim: MpmSim, start: GPUBuffer, o: RatioOptions = {}): Promise<number | null> {
  const dev = sim.device;
  if (!dev.features.has('timestamp-query')) return null;
  const pairs = o.pairs ?? 8;
  const rounds = o.rounds ?? 3;
  const m = o.perPass ?? 2;
  const timer = new PassTimer(dev, 2 * pairs);
  // states 0, 1, 2 of a short run from `start`; the forward passes redo step 1 into a scratch state
  const s = [sim.createState('ratio.s0'), sim.createState('ratio.s1'), sim.createState('ratio.s2'), sim.createState('ratio.out')];
  const g = [sim.createState('ratio.g0'), sim.createState('ratio.g1')];
  sim.ensureSteps(3);
  try {
    const enc0 = dev.createCommandEncoder({ label: 'bench.ratio.setup' });
    enc0.copyBufferToBuffer(start, 0, s[0], 0, sim.stateBytes);
    const p0 = enc0.beginComputePass();
    sim.encodeStep(p0, s[0], s[1], 0);
    sim.encodeStep(p0, s[1], s[2], 1);
    p0.end();
    // A gradient of the state's size and magnitude (the state itself), taken through one step
    // adjoint that also does g2p's local pass: the timed adjoints then carry nonzero terms. With
    // zero gradients the grid update's adjoint skips the exchange of every zero accumulator word.
    enc0.copyBufferToBuffer(s[2], 0, g[0], 0, sim.stateBytes);
    const p1 = enc0.beginComputePass();
    sim.encodeStepAdjoint(p1, { sIn: s[1], sOut: s[2], gOut: g[0], gIn: g[1], step: 1, sPrev: s[0] });
    p1.end();
    dev.queue.submit([enc0.finish()]);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const enc = dev.createCommandEncoder({ label: 'bench.ratio' });
      for (let k = 0; k < pairs; k++) {
        let pass = enc.beginComputePass(timer.pass('bench.ratio.forward', 'forward'));
        for (let j = 0; j < m; j++) sim.encodeStep(pass, s[1], s[3], 1);
        pass.end();
        pass = enc.beginComputePass(timer.pass('bench.ratio.adjoint', 'adjoint'));
        for (let j = 0; j < m; j++) sim.encodeStepAdjoint(pass, { sIn: s[1], sOut: s[2], gOut: g[j % 2], gIn: g[1 - (j % 2)], step: 1, sPrev: s[0] }, true);
        pass.end();
      }
      dev.queue.submit([enc.finish()]);
      sim.gpu.pacer.submitted(sim.workKind.step, pairs * m);
      sim.gpu.pacer.submitted(sim.workKind.adjoint, pairs * m);
      await sim.gpu.pacer.idle(); // waits without polling (src/gpu/pacer.ts)
      const t = await timer.collect(); // forward, adjoint, forward, ...
      if (r === 0) continue;
      for (let k = 0; k < pairs; k++) {
        const fwd = t[2 * k].seconds;
        const adj = t[2 * k + 1].seconds;
        if (fwd > 0) ratios.push(adj / fwd);
      }
    }
    if (!ratios.length) return null;
    ratios.sort((x, y) => x - y);
    return ratios[ratios.length >> 1];
  } finally {
    for (const b of [...s, ...g]) b.destroy();
    timer.destroy();
  }
}
