// `torsion bench mpm [--json] [--quick]`: one row per benchmark scene; with --json the last line is
// a JSON array of the rows. --quick uses T = 100 and fewer samples (a smoke run, not a measurement).
import { requestGpu } from '../gpu/device';
import { benchScene, type BenchRow } from '../bench/mpm';
import { benchCases } from '../../scenes/bench-scenes';

export async function bench(o: { json: boolean; quick: boolean; only?: string }): Promise<number> {
  // GPU timestamps, where the adapter has them, time the step adjoint against the step (src/bench/mpm.ts)
  const gpu = await requestGpu({ optionalFeatures: ['timestamp-query'] });
  const rows: BenchRow[] = [];
  try {
    console.log(`adapter: ${gpu.adapterName}`);
    const cases = benchCases().filter((c) => !o.only || c.label.includes(o.only));
    for (const c of cases) {
      const row = await benchScene(gpu, c.scene, c.material, { horizon: o.quick ? 100 : 1000, stepSamples: o.quick ? 10 : 100 });
      rows.push(row);
      console.log(`${c.label.padEnd(22)} ${String(row.particles).padStart(6)} particles  grid ${row.grid.join('x').padEnd(9)}`
        + `  ${row.forwardStepsPerSec.toFixed(1).padStart(7)} steps/s  ${(row.particleStepsPerSec / 1e6).toFixed(2).padStart(6)} M particle-steps/s (${(row.rolloutParticleStepsPerSec / 1e6).toFixed(2)} M over the rollout)`
        + `  backward/forward ${row.backwardForwardRatio.toFixed(2)}  gradient/forward (T=${row.horizon}) ${row.gradientForwardRatio.toFixed(2)}`
        + `  checkpoint memory ${(100 * row.checkpointMemoryRatio).toFixed(1)}%`);
    }
  } finally {
    gpu.destroy();
  }
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}
