// Wall-clock helpers shared by the benchmarks (src/bench/mpm.ts, springs.ts).
import type { GpuContext } from '../gpu/device';
import type { Simulator } from '../core/simulator';

export function median(v: number[]): number {
  const s = v.slice().sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Seconds from the first submit to the end of the work f submits; waits through the pacer. */
export async function timed(gpu: GpuContext, f: () => void | Promise<void>): Promise<number> {
  await gpu.pacer.idle();
  const t0 = performance.now();
  await f();
  await gpu.pacer.idle();
  return (performance.now() - t0) / 1000;
}

/** Encodes `count` steps (or step adjoints), `perSubmit` per command buffer, telling the pacer they are work of kind `kind`. */
export function encodeSteps(sim: Simulator, count: number, perSubmit: number, kind: string, body: (pass: GPUComputePassEncoder, k: number) => void): void {
  for (let k0 = 0; k0 < count; k0 += perSubmit) {
    const enc = sim.device.createCommandEncoder({ label: 'bench' });
    const pass = enc.beginComputePass({ label: 'bench' });
    const k1 = Math.min(count, k0 + perSubmit);
    for (let k = k0; k < k1; k++) body(pass, k);
    pass.end();
    sim.device.queue.submit([enc.finish()]);
    sim.gpu.pacer.submitted(kind, k1 - k0);
  }
}
