// How P2G's cost grows as particles mix over a forward rollout of a bench scene, on the wall clock,
// and what re-sorting the particles by stencil base would win (issue 20).
//
//   [PROBE=0] npx vite-node scripts/mpm-mixing.ts [label = '2D elastoplastic 24k'] [steps = 1000] [chunk = 100] [sort = none|cpu|gpu:K]
//
// Every `chunk` steps (untimed): reads the state back and counts p2g's flushes per particle (a run
// of SCATTER_RUN consecutive particles issues one set of atomics per distinct stencil base,
// run_order in p2g.wgsl), then times P2G alone (`p2gReps` dispatches, best of five, wall clock)
// from that state as it is and from the same particles sorted by stencil base on the CPU (the
// bench scenes have one group and one volume, so the model record needs no reordering): the most
// a GPU re-sort could win there (PROBE=0 skips this). With sort = cpu the rollout itself continues
// from the CPU-sorted state; with sort = gpu:K a ParticleSorter (src/mpm/sort.ts) sorts the state
// on the GPU before every K-th step, timed with the steps: forward only, the rollout's tape does not
// know the permutation yet.
import './v8-flags';
import { requestGpu } from '../src/gpu/device';
import { MpmSim } from '../src/mpm/simulator';
import { benchCases } from '../scenes/bench-scenes';
import { encodeSteps, timed } from '../src/bench/timing';
import { readF32, writeBuffer } from '../src/gpu/buffers';
import { particleStride } from '../src/mpm/layout';
import { scatterRun } from '../src/shaders/compose';
import { ParticleSorter } from '../src/mpm/sort';

const [label = '2D elastoplastic 24k', stepsArg = '1000', chunkArg = '100', sortArg = 'none'] = process.argv.slice(2);
const T = Number(stepsArg);
const chunk = Number(chunkArg);
const c = benchCases().find((x) => x.label === label);
if (!c) throw new Error(`no bench case '${label}': allowed ${benchCases().map((x) => `'${x.label}'`).join(', ')}`);
const gpu = await requestGpu();
const sim = await MpmSim.create(gpu, { ...c.scene, steps: T });
sim.ensureSteps(T + 1);
const d = sim.dim;
const n = sim.packed.n;
const stride = particleStride(d);
const res = c.scene.grid.res;
const invDx = 1 / c.scene.grid.dx;
const run = scatterRun(d);

function baseKey(s: Float32Array, p: number): number {
  let key = 0;
  let mul = 1;
  for (let k = 0; k < d; k++) {
    const b = Math.floor(s[p * stride + k] * invDx - 0.5);
    key += (b + 1) * mul; // base may be -1 at a wall
    mul *= res[k] + 2;
  }
  return key;
}

function flushesPerParticle(s: Float32Array): number {
  let f = 0;
  for (let p0 = 0; p0 < n; p0 += run) {
    const keys = new Set<number>();
    for (let p = p0; p < Math.min(n, p0 + run); p++) keys.add(baseKey(s, p));
    f += keys.size;
  }
  return f / n;
}

const PM = 2; // PARTICLE_MODEL_STRIDE: [group, vol] per particle at the head of the model record
{
  const m = sim.packed.model;
  for (let p = 1; p < n; p++) {
    if (m[p * PM] !== m[0] || m[p * PM + 1] !== m[1]) throw new Error(`${label}: particles differ in group or volume; this script does not reorder the model record`);
  }
}
function sortByBase(s: Float32Array): void {
  const keys = Array.from({ length: n }, (_, p) => baseKey(s, p));
  const order = Array.from({ length: n }, (_, p) => p).sort((a, b) => keys[a] - keys[b] || a - b);
  const out = new Float32Array(s.length);
  order.forEach((p, i) => out.set(s.subarray(p * stride, (p + 1) * stride), i * stride));
  s.set(out);
}
const p2gReps = Number(process.env.P2G_REPS ?? 20);
/** Seconds per P2G dispatch from `state` (grid_acc accumulates across them: only the time is used; a step's grid update clears it). */
async function p2gOnly(state: GPUBuffer): Promise<number> {
  const sec = await timed(gpu, () => {
    const enc = sim.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let r = 0; r < p2gReps; r++) sim.encodeP2G(pass, state, 0);
    pass.end();
    // leave the rollout as if these had not run: an empty accumulator
    enc.clearBuffer(sim.gridAcc);
    sim.device.queue.submit([enc.finish()]);
    gpu.pacer.submitted(sim.workKind.step, p2gReps / 2);
  });
  return sec / p2gReps;
}

const a = sim.createState('mix.a', sim.packed.state0);
const b = sim.createState('mix.b');
const sortedBuf = sim.createState('mix.sorted');
console.log(`${label}: ${n} particles, grid ${res.join('x')}, ${T} steps in chunks of ${chunk}, sort = ${sortArg}, adapter ${gpu.adapterName}`);
// untimed warm-up from a copy: pipelines, bind groups, the pacer's estimates
encodeSteps(sim, 32, 32, sim.workKind.step, (pass, k) => sim.encodeStep(pass, k % 2 ? b : a, k % 2 ? a : b, k));
await gpu.pacer.idle();
writeBuffer(sim.device, a, sim.packed.state0);
let total = 0;
const bufs = [a, b];
let ci = 0; // bufs[ci] holds the current state
const sortEvery = sortArg.startsWith('gpu:') ? Number(sortArg.slice(4)) : 0;
const sorter = sortEvery > 0 ? await ParticleSorter.create(sim.device, sim.cache, { dim: d, n, batch: 1, dx: c.scene.grid.dx, res }) : null;
const probe = process.env.PROBE !== '0';
let sorts = 0;
for (let t0 = 0; t0 < T; t0 += chunk) {
  const s = await readF32(sim.device, bufs[ci]);
  const before = flushesPerParticle(s);
  let line = `flushes/particle ${before.toFixed(3)}`;
  if (probe) {
    const sorted = s.slice();
    sortByBase(sorted);
    writeBuffer(sim.device, sortedBuf, sorted);
    let pNat = Infinity;
    let pSorted = Infinity;
    for (let r = 0; r < 5; r++) {
      pNat = Math.min(pNat, await p2gOnly(bufs[ci]));
      pSorted = Math.min(pSorted, await p2gOnly(sortedBuf));
    }
    line += ` (sorted ${flushesPerParticle(sorted).toFixed(3)}); P2G alone ${(1e3 * pNat).toFixed(2)} ms (sorted ${(1e3 * pSorted).toFixed(2)} ms)`;
    if (sortArg === 'cpu' && t0 > 0) writeBuffer(sim.device, bufs[ci], sorted);
  }
  // steps t0 .. t0 + chunk, 32 to a submit, a GPU sort before every step that is a multiple of sortEvery (but 0)
  const sec = await timed(gpu, () => {
    for (let k0 = 0; k0 < chunk; k0 += 32) {
      const enc = sim.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      const k1 = Math.min(chunk, k0 + 32);
      for (let k = k0; k < k1; k++) {
        const t = t0 + k;
        if (sorter && t > 0 && t % sortEvery === 0) {
          sorter.encodeSort(pass, bufs[ci], bufs[1 - ci]);
          ci = 1 - ci;
          sorts++;
        }
        sim.encodeStep(pass, bufs[ci], bufs[1 - ci], t);
        ci = 1 - ci;
      }
      pass.end();
      sim.device.queue.submit([enc.finish()]);
      gpu.pacer.submitted(sim.workKind.step, k1 - k0);
    }
  });
  total += sec;
  console.log(`steps ${String(t0).padStart(4)}-${String(t0 + chunk).padStart(4)}: ${(chunk * n / sec / 1e6).toFixed(2).padStart(5)} M particle-steps/s wall clock; ${line}`);
}
if (sorter) {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    best = Math.min(best, await timed(gpu, () => {
      const enc = sim.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let k = 0; k < 10; k++) sorter.encodeSort(pass, bufs[k % 2 ? 1 - ci : ci], bufs[k % 2 ? ci : 1 - ci]);
      pass.end();
      sim.device.queue.submit([enc.finish()]);
      gpu.pacer.submitted(sim.workKind.step, 1);
    }) / 10);
  }
  console.log(`one GPU sort: ${(1e3 * best).toFixed(2)} ms wall clock (best of three runs of ten)`);
  sorter.destroy();
}
const st = await sim.readStatus();
console.log(`whole rollout: ${(T * n / total / 1e6).toFixed(2)} M particle-steps/s wall clock (steps${sorts ? ` and ${sorts} GPU sorts` : ''}, readbacks and probes excluded); status ${JSON.stringify(st)}`);
a.destroy();
sortedBuf.destroy();
b.destroy();
sim.destroy();
gpu.destroy();
