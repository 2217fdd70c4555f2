// Where a small spring system's step adjoint spends its time: each of its dispatches timed alone
// on the wall clock, N of them per command buffer, against the forward step.
//
//   npx vite-node scripts/profile-spring-adjoint.ts [scene = spring-robot-2d | cloth-<n>] [N = 2048] [batch = 1]
// cloth-<n> is bench springs' n x n cloth (scenes/bench-scenes.ts benchCloth), cloth-<n>-folded the same folded in
// half on the ground (foldedBenchCloth: self-contact pairs at every step); they run the split path only.
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { SpringSim } from '../src/springs/simulator';
import { buildScene } from '../scenes/index';
import { benchCloth, foldedBenchCloth } from '../scenes/bench-scenes';
import type { SpringScene } from '../src/springs/scene';
import { timed } from '../src/bench/timing';

const name = process.argv[2] ?? 'spring-robot-2d';
const N = Number(process.argv[3] ?? 2048);
const batch = Number(process.argv[4] ?? 1);
const gpu = await requestGpu();
const cloth = /^cloth-(\d+)(-folded)?$/.exec(name);
const scene = cloth ? (cloth[2] ? foldedBenchCloth : benchCloth)(Number(cloth[1])) : (buildScene(name) as SpringScene);
const split = await SpringSim.create(gpu, scene, { adjoint: 'split', batch });
const sims: Record<string, SpringSim> = cloth ? { split } : { split, fused: await SpringSim.create(gpu, scene, { adjoint: 'auto', batch }) };
const perSubmit = Math.min(64, N);
// each timing tells the pacer its own kind: one kind for dispatches of very different cost made
// its sleep before the wait a guess from another dispatch
async function time(sim: SpringSim, kind: string, body: (pass: GPUComputePassEncoder, k: number) => void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 4; r++) {
    best = Math.min(best, await timed(gpu, () => {
      for (let k0 = 0; k0 < N; k0 += perSubmit) {
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (let k = k0; k < k0 + perSubmit; k++) body(pass, k);
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
        gpu.pacer.submitted(`profile.${kind}`, perSubmit);
      }
    }));
  }
  return (best / N) * 1e6;
}
console.log(`${scene.name} x${batch}: ${sims.split.model.n} vertices, ${sims.split.params.size} controls; microseconds per dispatch (best of 4 x ${N})`);
for (const [label, sim] of Object.entries(sims)) {
  sim.ensureSteps(N + 1);
  const a = sim.createState('a', sim.state0), b = sim.createState('b'), ga = sim.createState('ga'), gb = sim.createState('gb');
  const row: string[] = [];
  row.push(`step ${(await time(sim, `${label}.step`, (pass, k) => sim.encodeStep(pass, a, b, k))).toFixed(1)}`);
  const names = sim.adjointDispatches({ sIn: a, sOut: b, gOut: ga, gIn: gb, step: 0 }).map(([p]) => p);
  for (const [j, p] of names.entries()) {
    row.push(`${p} ${(await time(sim, `${label}.${p}`, (pass, k) => sim.adjointDispatches({ sIn: a, sOut: b, gOut: ga, gIn: gb, step: k })[j][1](pass))).toFixed(1)}`);
  }
  row.push(`whole step adjoint ${(await time(sim, `${label}.adjoint`, (pass, k) => sim.encodeStepAdjoint(pass, { sIn: a, sOut: b, gOut: ga, gIn: gb, step: k, sPrev: null }))).toFixed(1)}`);
  console.log(`${label.padEnd(6)} (${sim.adjointPath}) ${row.join('  ')}`);
  for (const x of [a, b, ga, gb]) x.destroy();
}
gpu.destroy();
