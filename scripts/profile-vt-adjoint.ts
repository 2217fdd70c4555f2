// What vertex-triangle self-contact costs the step adjoint, against one or more source trees (A/B in
// one process, rounds interleaved): `time` the forward step and the split step adjoint of the bench
// cloth with selfContact.triangles on, best of the rounds; `compile` SpringSim.create and the first
// step and step adjoint (where lavapipe compiles) of that cloth (split path) and of a 4 x 4 one
// (fused path). Run `compile` with a fresh MESA_SHADER_CACHE_DIR to see a cold machine's time.
//
//   npx vite-node scripts/profile-vt-adjoint.ts time [n = 32] [N = 16] [rounds = 5] [root ...]
//   MESA_SHADER_CACHE_DIR=$(mktemp -d) npx vite-node scripts/profile-vt-adjoint.ts compile [n = 32] [root]
// A root is a checkout of this repository inside this one (vite serves no files outside it; out/ is
// ignored), default this one; its simulator compiles its shaders.
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { benchCloth } from '../scenes/bench-scenes';
import type { SpringScene } from '../src/springs/scene';
import type { SpringSim } from '../src/springs/simulator';
import { clothStart, loadSpringSim, timePass } from './vt-cloth';

const [mode = 'time', nArg = '32', ...rest] = process.argv.slice(2);
const n = Number(nArg);
const gpu = await requestGpu();
const base = benchCloth(n);
const cloth: SpringScene = { ...base, name: `bench-cloth-${n}-vt`, selfContact: { ...base.selfContact!, triangles: true } };

if (mode === 'compile') {
  const root = rest[0] ?? '.';
  const Sim = await loadSpringSim(root);
  const small = benchCloth(4);
  const patch: SpringScene = { ...small, name: 'bench-cloth-4-vt', selfContact: { ...small.selfContact!, triangles: true } };
  for (const [label, scene, adjoint] of [[`cloth ${n}x${n} split`, cloth, 'split'], ['cloth 4x4 fused', patch, 'fused']] as const) {
    // lavapipe compiles a kernel at its first dispatch, not at pipeline creation: time the first step
    // and step adjoint too, then a second pair (running alone) to take out
    const t0 = performance.now();
    const sim = await Sim.create(gpu, scene, { adjoint });
    const t1 = performance.now();
    sim.ensureSteps(2);
    const [a, b, ga, gb] = ['a', 'b', 'ga', 'gb'].map((l) => sim.createState(l, l === 'a' ? sim.state0 : new Float32Array(sim.stateBytes / 4).fill(1e-3)));
    const run = async (encode: (pass: GPUComputePassEncoder) => void) => {
      const t = performance.now();
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      encode(pass);
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
      await gpu.device.queue.onSubmittedWorkDone();
      return (performance.now() - t) / 1000;
    };
    // each dispatch alone, first (compile and run) and second (run)
    const each = async (list: [string, (pass: GPUComputePassEncoder) => void][]) => {
      const out: string[] = [];
      let sum = 0;
      for (const [name, encode] of list) {
        const first = await run(encode), second = await run(encode);
        sum += first;
        out.push(`${name} ${first.toFixed(1)} (${second.toFixed(2)})`);
      }
      return `${sum.toFixed(1)} s: ${out.join(', ')}`;
    };
    const step = await each(sim.forwardDispatches(a, b, 0));
    const adj = await each(sim.adjointDispatches({ sIn: a, sOut: b, gOut: ga, gIn: gb, step: 0 }));
    console.log(`${root}: ${label} (${sim.adjointPath}): SpringSim.create ${((t1 - t0) / 1000).toFixed(1)} s; first dispatches, s (second): step ${step}; step adjoint ${adj}`);
    for (const x of [a, b, ga, gb]) x.destroy();
    sim.destroy();
  }
} else {
  const N = Number(rest[0] ?? 16), rounds = Number(rest[1] ?? 5), roots = rest.length > 2 ? rest.slice(2) : ['.'];
  // FOLD=1: the cloth folded over itself (vt-cloth.ts clothStart)
  const fold = process.env.FOLD === '1';
  const sims: { root: string; sim: SpringSim; bufs: GPUBuffer[]; step: number; adj: number }[] = [];
  for (const root of roots) {
    const sim = await (await loadSpringSim(root)).create(gpu, cloth, { adjoint: 'split' });
    sim.ensureSteps(N + 1);
    const bufs = ['a', 'b', 'ga', 'gb'].map((l) => sim.createState(l, l === 'a' ? clothStart(sim.state0, cloth.selfContact!.thickness) : new Float32Array(sim.stateBytes / 4).fill(1e-3)));
    sims.push({ root, sim, bufs, step: Infinity, adj: Infinity });
  }
  const time = (body: (pass: GPUComputePassEncoder, k: number) => void) => timePass(gpu, N, body);
  for (let r = 0; r < rounds; r++) {
    for (const s of sims) {
      const [a, b, ga, gb] = s.bufs;
      s.step = Math.min(s.step, (await time((pass, k) => s.sim.encodeStep(pass, a, b, k))) / N);
      s.adj = Math.min(s.adj, (await time((pass, k) => s.sim.encodeStepAdjoint(pass, { sIn: a, sOut: b, gOut: ga, gIn: gb, step: k, sPrev: null }))) / N);
    }
  }
  console.log(`${cloth.name}${fold ? ' folded' : ''}: ${sims[0].sim.model.n} vertices, ${sims[0].sim.model.triArea.length} triangles; best of ${rounds} x ${N}, rounds interleaved`);
  for (const s of sims) console.log(`${s.root}: step ${(s.step * 1e3).toFixed(2)} ms, step adjoint ${(s.adj * 1e3).toFixed(2)} ms, ratio ${(s.adj / s.step).toFixed(2)}`);
}
gpu.destroy();
