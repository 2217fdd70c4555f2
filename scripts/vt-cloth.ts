// What the vertex-triangle profiles share: SpringSim loaded from another checkout (A/B trees in
// one process), and the bench cloth's start state, optionally folded.
import { resolve } from 'node:path';
import type { SpringSim } from '../src/springs/simulator';
import type { GpuContext } from '../src/gpu/device';
import { timed } from '../src/bench/timing';

export type SpringSimClass = typeof SpringSim;

/** SpringSim from the checkout at `root` ('.' for this one). */
export async function loadSpringSim(root: string): Promise<SpringSimClass> {
  return (await import(resolve(root, 'src/springs/simulator.ts'))).SpringSim as SpringSimClass;
}

/**
 * The cloth's state0, or with FOLD=1 its far half (x > 0.6) folded back over the near half, half a
 * thickness h above it, so that every vertex of it has vertex-triangle pairs acting (the flat cloth has none).
 */
export function clothStart(s0: Float32Array, h: number): Float32Array {
  const s = s0.slice();
  if (process.env.FOLD === '1') for (let i = 0; i < s.length / 6; i++) if (s[6 * i] > 0.6) { s[6 * i] = 1.2 - s[6 * i]; s[6 * i + 1] += 0.5 * h; }
  return s;
}

/** Seconds (wall clock) of N encodings of `body` in one compute pass and one submit. */
export function timePass(gpu: GpuContext, N: number, body: (pass: GPUComputePassEncoder, k: number) => void): Promise<number> {
  return timed(gpu, () => {
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let k = 0; k < N; k++) body(pass, k);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    gpu.pacer.submitted('profile', N);
  });
}
