// `torsion bench mpm [--json] [--quick]`: one row per benchmark scene; with --json the last line is
// a JSON array of the rows. --quick uses T = 100 and fewer samples (a smoke run, not a measurement).
import { benchBatch, type BatchBenchRow } from '../bench/batch';
import { buildScene } from '../../scenes/index';
import { requestGpu } from '../gpu/device';
import { benchScene, type BenchRow } from '../bench/mpm';
import { benchCases, benchCloth, scaleCases, scaleSizes, springBenchCases } from '../../scenes/bench-scenes';
import { copyBandwidth } from '../bench/bandwidth';
import { particleStride } from '../mpm/layout';
import { benchSprings, type SpringBenchRow } from '../bench/springs';
import type { AdjointPath } from '../springs/simulator';
import { UsageError } from './usage-error';

/** The rows whose label contains --only's text; refused when none does, before any GPU work. */
function onlyCases<C extends { label: string }>(all: C[], only: string | undefined): C[] {
  const cases = all.filter((c) => !only || c.label.includes(only));
  if (cases.length === 0) throw new UsageError(`--only ${JSON.stringify(only)}: no row's label contains it (rows: ${all.map((c) => c.label).join(', ')})`);
  return cases;
}

export async function bench(o: { json: boolean; quick: boolean; only?: string; sortEvery?: number }): Promise<number> {
  // GPU timestamps, where the adapter has them, time the step adjoint against the step (src/bench/mpm.ts)
  const cases = onlyCases(benchCases(), o.only);
  const gpu = await requestGpu({ optionalFeatures: ['timestamp-query'] });
  const rows: BenchRow[] = [];
  try {
    console.log(`adapter: ${gpu.adapterName}`);
    for (const c of cases) {
      const row = await benchScene(gpu, c.scene, c.material, { horizon: o.quick ? 100 : 1000, stepSamples: o.quick ? 10 : 100, sortEvery: o.sortEvery });
      rows.push(row);
      const M = (x: number) => (x / 1e6).toFixed(2).padStart(5);
      // wall clock over the whole T-step rollout first (what a user's rollout sees), then the
      // short-run and GPU-clock figures
      console.log(`${c.label.padEnd(22)} ${String(row.particles).padStart(6)} particles  grid ${row.grid.join('x').padEnd(9)}`
        + `  wall clock, T=${row.horizon}: forward ${M(row.wallRolloutParticleStepsPerSec)} M particle-steps/s, gradient ${M(row.wallGradientParticleStepsPerSec)} M`
        + `  |  ${row.forwardStepsPerSec.toFixed(1)} steps/s from the initial state (${M(row.particleStepsPerSec)} M), rollout ${M(row.rolloutParticleStepsPerSec)} M (GPU clock where timed)`
        + `  backward/forward ${row.backwardForwardRatio.toFixed(2)}  gradient/forward ${row.gradientForwardRatio.toFixed(2)}`
        + `  checkpoint memory ${(100 * row.checkpointMemoryRatio).toFixed(1)}%${row.sortEvery ? `  (sorted every ${row.sortEvery} steps)` : ''}`);
    }
  } finally {
    gpu.destroy();
  }
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}

/**
 * `torsion bench scale [--json] [--quick] [--only TEXT]`: MPM rows of millions of particles and cloths
 * of 256 and 512 quads a side, for a GPU (issue 20's last point): particle-steps/s set against the
 * device's bandwidth as a copy kernel measures it. The state traffic counted is the particle records
 * read and written once per step, a lower bound (the grid's traffic and P2G's atomics come on top).
 * T = 200 (100 for the cloths; --quick: 10); on a CPU driver a row takes minutes.
 */
export async function benchScaleCmd(o: { json: boolean; quick: boolean; only?: string }): Promise<number> {
  const clothLabels = [256, 512].map((n) => ({ n, label: `cloth ${n}x${n}` }));
  // the MPM rows' labels end in their size, known once the device is: --only is matched on the rest
  const families = [...scaleSizes().map((sizes) => sizes[0].label), ...clothLabels.map((c) => c.label)];
  if (o.only !== undefined && !families.some((f) => f.includes(o.only!) || o.only!.startsWith(f))) {
    throw new UsageError(`--only ${JSON.stringify(o.only)}: no row's label contains it (rows: ${families.join(', ')})`);
  }
  const gpu = await requestGpu({ optionalFeatures: ['timestamp-query'] });
  // the MPM rows' sizes depend on the device's limits
  const mpm = scaleCases(gpu.limits).filter((c) => !o.only || c.label.includes(o.only));
  const cloths = clothLabels.filter((c) => !o.only || c.label.includes(o.only)).map((c) => ({ label: c.label, scene: benchCloth(c.n) }));
  const out: { adapter: string; copyBytesPerSec: number; mpm: (BenchRow & { label: string; stateBytesPerSec: number })[]; springs: SpringBenchRow[] } = { adapter: gpu.adapterName, copyBytesPerSec: 0, mpm: [], springs: [] };
  try {
    console.log(`adapter: ${gpu.adapterName}`);
    const bw = await copyBandwidth(gpu);
    out.copyBytesPerSec = bw.bytesPerSec;
    const GB = (x: number) => (x / 1e9).toFixed(x < 1e10 ? 2 : 0);
    console.log(`copy kernel: ${GB(bw.bytesPerSec)} GB/s read + written (two arrays of ${(bw.arrayBytes / 2 ** 20).toFixed(0)} MiB)`);
    for (const c of mpm) {
      const row = await benchScene(gpu, c.scene, c.material, { horizon: o.quick ? 10 : 200, stepSamples: o.quick ? 4 : 32 });
      // x, v, C, F read and written once a step, plus the particle's group and volume
      const stateBytes = row.wallRolloutParticleStepsPerSec * (2 * particleStride(c.scene.dim) * 4 + 8);
      out.mpm.push({ ...row, label: c.label, stateBytesPerSec: stateBytes });
      const M = (x: number) => (x / 1e6).toFixed(2).padStart(7);
      console.log(`${c.label.padEnd(20)} ${String(row.particles).padStart(8)} particles  grid ${row.grid.join('x').padEnd(11)}`
        + `  wall clock, T=${row.horizon}: forward ${M(row.wallRolloutParticleStepsPerSec)} M particle-steps/s, gradient ${M(row.wallGradientParticleStepsPerSec)} M`
        + `  |  from the initial state ${M(row.particleStepsPerSec)} M  gradient/forward ${row.gradientForwardRatio.toFixed(2)}  checkpoint memory ${(100 * row.checkpointMemoryRatio).toFixed(1)}%`
        + `  |  state traffic ${GB(stateBytes)} GB/s, ${(100 * stateBytes / bw.bytesPerSec).toFixed(1)}% of the copy kernel's`);
    }
    for (const c of cloths) {
      const row = await benchSprings(gpu, c.label, c.scene, { horizon: o.quick ? 10 : 100, stepSamples: o.quick ? 4 : 32, pairs: 1 });
      out.springs.push(row);
      console.log(`${c.label.padEnd(20)} ${String(row.vertices).padStart(8)} vertices  ${(row.vertexStepsPerSec / 1e6).toFixed(2).padStart(7)} M vertex-steps/s`
        + `  backward/forward ${row.backwardForwardRatio.toFixed(2)}  gradient/forward (T=${row.horizon}) ${row.gradientForwardRatio.toFixed(2)}  gradient ${row.gradientSeconds.toFixed(2)} s`);
    }
  } finally {
    gpu.destroy();
  }
  if (o.json) console.log(JSON.stringify(out));
  return 0;
}

/**
 * `torsion bench springs [--json] [--quick] [--only TEXT] [--adjoint PATH]`: the 2D walker and three cloths. Each row
 * also gives one gradient's seconds (the optimiser's iteration) at T = 1000; the walker's is
 * measured again at DiffTaichi mass_spring.py's horizon (681 steps) for the side-by-side comparison
 * in docs/performance.md.
 */
export async function benchSpringsCmd(o: { json: boolean; quick: boolean; only?: string; adjoint?: AdjointPath }): Promise<number> {
  const cases = onlyCases(springBenchCases(), o.only);
  const gpu = await requestGpu();
  const rows: SpringBenchRow[] = [];
  try {
    console.log(`adapter: ${gpu.adapterName}`);
    for (const c of cases) {
      // the forward rate of a cloth over 10k vertices comes from a shorter rollout (T = 200, or 50 past 50k vertices)
      const nv = c.scene.vertices.mass.length, big = nv > 10_000, huge = nv > 50_000;
      const horizon = o.quick || huge ? 50 : big ? 200 : 1000;
      const row = await benchSprings(gpu, c.label, c.scene, { horizon, stepSamples: o.quick || huge ? 16 : big ? 32 : 256, pairs: o.quick ? 1 : big ? 1 : 3, adjoint: o.adjoint });
      rows.push(row);
      console.log(`${c.label.padEnd(16)} ${String(row.vertices).padStart(6)} vertices ${String(row.springs + row.triangles).padStart(7)} springs+triangles`
        + `  ${row.stepsPerSec.toFixed(0).padStart(6)} steps/s  ${(row.vertexStepsPerSec / 1e6).toFixed(2).padStart(6)} M vertex-steps/s`
        + `  backward/forward ${row.backwardForwardRatio.toFixed(2)}  gradient/forward (T=${row.horizon}) ${row.gradientForwardRatio.toFixed(2)}`
        + `  gradient ${row.gradientSeconds.toFixed(2)} s  checkpoint memory ${(100 * row.checkpointMemoryRatio).toFixed(1)}%  (${row.adjointPath} adjoint`
        + `${row.contactPairSteps === null ? '' : `; self-contact pairs at ${row.contactPairSteps} of ${row.horizon} steps`})`);
    }
    if (!o.quick && (!o.only || 'robot'.includes(o.only) || o.only.includes('robot'))) {
      const c = springBenchCases()[0];
      const row = await benchSprings(gpu, `${c.label}, T=681`, c.scene, { horizon: 681, stepSamples: 16, pairs: 5, adjoint: o.adjoint });
      rows.push(row);
      console.log(`${c.label} at T=681 (DiffTaichi mass_spring.py's horizon): one gradient (forward + backward) ${row.gradientSeconds.toFixed(3)} s`);
    }
  } finally {
    gpu.destroy();
  }
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}

/** `torsion bench batch [--json] [--quick] [--adjoint PATH]`: B = 1, 8, 32, 128 copies of the 2D spring walker. */
export async function benchBatchCmd(o: { json: boolean; quick: boolean; adjoint?: AdjointPath }): Promise<number> {
  const gpu = await requestGpu();
  let rows: BatchBenchRow[] = [];
  try {
    console.log(`adapter: ${gpu.adapterName}`);
    const scene = buildScene('spring-robot-2d');
    rows = await benchBatch(gpu, 'spring-robot-2d', scene, o.quick ? [1, 8] : [1, 8, 32, 128], { horizon: o.quick ? 100 : 600, repeats: o.quick ? 1 : 3, adjoint: o.adjoint });
    for (const r of rows) {
      console.log(`${r.label} x${String(r.batch).padEnd(4)} ${(r.copyStepsPerSec / 1e3).toFixed(1).padStart(8)} k copy-steps/s (${r.speedup.toFixed(1)}x B = 1)`
        + `  gradient ${(r.gradientCopyStepsPerSec / 1e3).toFixed(1).padStart(8)} k copy-steps/s  (T = ${r.horizon}, ${r.items} masses per copy)`);
    }
  } finally {
    gpu.destroy();
  }
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}
