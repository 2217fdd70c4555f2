// Where a cloth's forward step spends its time: each of its dispatches timed alone on the wall
// clock, N of them per command buffer, and the whole step, with self-contact on (vertex-vertex, and
// vertex-triangle too) and off.
//
//   npx vite-node scripts/profile-spring-forward.ts [n = 64] [N = 64]
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { SpringSim } from '../src/springs/simulator';
import { benchCloth } from '../scenes/bench-scenes';
import { timed } from '../src/bench/timing';

const size = Number(process.argv[2] ?? 64);
const N = Number(process.argv[3] ?? 64);
const gpu = await requestGpu();
const perSubmit = 16;
async function time(body: (pass: GPUComputePassEncoder, k: number) => void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    best = Math.min(best, await timed(gpu, () => {
      for (let k0 = 0; k0 < N; k0 += perSubmit) {
        const enc = gpu.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (let k = k0; k < Math.min(N, k0 + perSubmit); k++) body(pass, k);
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
        gpu.pacer.submitted('profile', Math.min(N, k0 + perSubmit) - k0);
      }
    }));
  }
  return (best / N) * 1e3;
}
const full = benchCloth(size);
const variants = {
  'self-contact': full,
  'self-contact with triangles': { ...full, selfContact: { ...full.selfContact!, triangles: true } },
  'no self-contact': { ...full, selfContact: undefined },
};
for (const [label, scene] of Object.entries(variants)) {
  const sim = await SpringSim.create(gpu, scene);
  sim.ensureSteps(N + 1);
  const a = sim.createState('a', sim.state0), b = sim.createState('b');
  const row: string[] = [];
  const whole = await time((pass, k) => sim.encodeStep(pass, a, b, k));
  const names = sim.forwardDispatches(a, b, 0).map(([p]) => p);
  for (const [j, p] of names.entries()) row.push(`${p} ${(await time((pass, k) => sim.forwardDispatches(a, b, k)[j][1](pass))).toFixed(2)}`);
  console.log(`${scene.name} ${label}: ${sim.model.n} vertices; ms per dispatch (best of 3 x ${N}): ${row.join('  ')}  whole step ${whole.toFixed(2)}`
    + ` (${((sim.model.n / whole) * 1e-3).toFixed(3)} M vertex-steps/s)`);
  for (const x of [a, b]) x.destroy();
  sim.destroy();
}
gpu.destroy();
