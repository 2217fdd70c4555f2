// The bench cloth's forward step with vertex-triangle self-contact, A/B against one or more source
// trees in one process: each forward dispatch alone and the whole step, N per command buffer, the
// trees' rounds interleaved (a shared machine's load then falls on all of them alike); min and
// median per dispatch. `vv` adds the vertex-vertex-only step of the first tree as the yardstick.
// FOLD=1 folds the cloth's far half over the near half as profile-vt-adjoint.ts does.
//
//   npx vite-node scripts/profile-vt-forward.ts [n = 64] [N = 64] [rounds = 5] [vv|-] [root ...]
// A root is a checkout of this repository inside this one (out/ is ignored), default this one.
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { benchCloth } from '../scenes/bench-scenes';
import { median } from '../src/bench/timing';
import type { SpringScene } from '../src/springs/scene';
import type { SpringSim } from '../src/springs/simulator';
import { clothStart, loadSpringSim, timePass } from './vt-cloth';

const [nArg = '64', NArg = '64', roundsArg = '5', vv = '-', ...rest] = process.argv.slice(2);
const n = Number(nArg), N = Number(NArg), rounds = Number(roundsArg), roots = rest.length ? rest : ['.'];
const gpu = await requestGpu();
const base = benchCloth(n);
const cloth: SpringScene = { ...base, name: `bench-cloth-${n}-vt`, selfContact: { ...base.selfContact!, triangles: true } };
const fold = process.env.FOLD === '1';
const runs: { label: string; sim: SpringSim; a: GPUBuffer; b: GPUBuffer; ms: Map<string, number[]> }[] = [];
const cases: [string, string, SpringScene][] = roots.map((r) => [r, r, cloth]);
if (vv === 'vv') cases.push([`${roots[0]} vertex-vertex only`, roots[0], base]);
for (const [label, root, scene] of cases) {
  const sim = await (await loadSpringSim(root)).create(gpu, scene);
  sim.ensureSteps(N + 1);
  runs.push({ label, sim, a: sim.createState('a', clothStart(sim.state0, cloth.selfContact!.thickness)), b: sim.createState('b'), ms: new Map() });
}
const time = async (body: (pass: GPUComputePassEncoder, k: number) => void) => (await timePass(gpu, N, body)) / N * 1e3;
for (let r = 0; r < rounds; r++) {
  for (const s of runs) {
    const add = (name: string, v: number) => s.ms.set(name, [...(s.ms.get(name) ?? []), v]);
    const list = s.sim.forwardDispatches(s.a, s.b, 0);
    for (const [j, [name]] of list.entries()) add(name, await time((pass, k) => s.sim.forwardDispatches(s.a, s.b, k)[j][1](pass)));
    add('whole step', await time((pass, k) => s.sim.encodeStep(pass, s.a, s.b, k)));
  }
}
console.log(`${cloth.name}${fold ? ' folded' : ''}: ${runs[0].sim.model.n} vertices; ms per dispatch, min / median of ${rounds} rounds x ${N}, interleaved`);
for (const s of runs) {
  console.log(`${s.label}: ${[...s.ms].map(([k, v]) => `${k} ${Math.min(...v).toFixed(2)} / ${median(v).toFixed(2)}`).join('  ')}`);
}
for (const s of runs) { s.a.destroy(); s.b.destroy(); s.sim.destroy(); }
gpu.destroy();
