// Runs a one-off WGSL compute kernel on small inputs: how the WGSL helper tests (polar rotation,
// clamp_free, the node window) exercise single functions of the shader library on the GPU.
import type { GpuContext } from '../../src/gpu/device';
import { createBuffer, readF32, type BufferData } from '../../src/gpu/buffers';
import { PipelineCache } from '../../src/gpu/pipeline-cache';

/**
 * Compiles `code` (entry point `main`, @workgroup_size(64)) with the inputs at bindings 0 ... k - 1
 * (read-only storage) and a zeroed output of `outBytes` at binding k (read_write), dispatches
 * `invocations` (a multiple of 64) and returns the output as floats.
 */
export async function runTestKernel(gpu: GpuContext, label: string, code: string, inputs: BufferData[], outBytes: number, invocations: number): Promise<Float32Array> {
  const cache = new PipelineCache(gpu.device);
  const kern = await cache.computeAsync(label, code, [...inputs.map(() => 'read' as const), 'rw' as const]);
  const bufs = inputs.map((data, i) => createBuffer(gpu.device, `${label}.in${i}`, data.byteLength, undefined, data));
  const out = createBuffer(gpu.device, `${label}.out`, outBytes);
  try {
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(kern.pipeline);
    pass.setBindGroup(0, gpu.device.createBindGroup({
      layout: kern.layout,
      entries: [...bufs, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    }));
    pass.dispatchWorkgroups(invocations / 64);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    return await readF32(gpu.device, out);
  } finally {
    for (const b of [...bufs, out]) b.destroy();
  }
}
