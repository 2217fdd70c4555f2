// The device's memory bandwidth as a trivial kernel sees it: one pass that reads a vec4 array and
// writes another of the same size. `bench scale` sets its rows' state traffic against it (a card's
// datasheet figure is not visible through WebGPU, and a copy kernel is what the simulation's passes
// can hope for at best).
import type { GpuContext } from '../gpu/device';
import { createBuffer, readF32 } from '../gpu/buffers';
import { timed } from './timing';

const WG = 256;

const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i < arrayLength(&dst)) { dst[i] = src[i] * 1.0001 + vec4<f32>(1.0); }
}`;

export interface Bandwidth {
  /** Bytes read plus bytes written per second, best of the rounds. */
  bytesPerSec: number;
  /** Bytes of each of the two arrays. */
  arrayBytes: number;
}

/** Times `reps` read-modify-write passes over two arrays of up to 256 MiB each (what the device's limits allow). */
export async function copyBandwidth(gpu: GpuContext, o: { reps?: number; rounds?: number; maxBytes?: number } = {}): Promise<Bandwidth> {
  const { device } = gpu;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize ?? 2 ** 27, gpu.limits.maxBufferSize ?? 2 ** 28, o.maxBytes ?? 2 ** 28);
  const vecs = Math.floor(limit / 16 / WG) * WG;
  const bytes = vecs * 16;
  const src = createBuffer(device, 'bandwidth.src', bytes);
  const dst = createBuffer(device, 'bandwidth.dst', bytes);
  try {
    const module = device.createShaderModule({ label: 'bandwidth', code: SHADER });
    const pipeline = device.createComputePipeline({ label: 'bandwidth', layout: 'auto', compute: { module, entryPoint: 'main' } });
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
    const groups = vecs / WG;
    const maxX = gpu.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    const x = Math.min(groups, maxX), y = Math.ceil(groups / x);
    const reps = o.reps ?? 20;
    const pass = (n: number) => {
      const enc = device.createCommandEncoder({ label: 'bandwidth' });
      const p = enc.beginComputePass();
      p.setPipeline(pipeline);
      p.setBindGroup(0, group);
      for (let r = 0; r < n; r++) p.dispatchWorkgroups(x, y);
      p.end();
      device.queue.submit([enc.finish()]);
      gpu.pacer.submitted('bench.bandwidth', n);
    };
    await timed(gpu, () => pass(2)); // untimed: pipeline and first touch of the pages
    let best = Infinity;
    for (let r = 0; r < (o.rounds ?? 3); r++) best = Math.min(best, await timed(gpu, () => pass(reps)));
    // src is zero, so every pass leaves 1 everywhere: the first and last vec4 show the dispatch covered the array
    const ends = [...await readF32(device, dst, 0, 4), ...await readF32(device, dst, (vecs - 1) * 4, 4)];
    if (ends.some((v) => v !== 1)) throw new Error(`copy kernel: the array's ends hold ${ends.join(', ')}, not 1: the dispatch missed part of it`);
    return { bytesPerSec: (2 * bytes * reps) / best, arrayBytes: bytes };
  } finally {
    src.destroy();
    dst.destroy();
  }
}
