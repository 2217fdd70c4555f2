// `torsion doctor`: the adapter and the limits Torsion depends on, or why there is none.
import { nodeWindowShape } from '../shaders/node-window';
import { requestGpu, NoAdapterError } from '../gpu/device';

const SHOWN = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize'];
/** Storage buffers bound by the largest MPM kernel (the adjoint of g2p). */
const NEEDED_STORAGE_BUFFERS = 10;

export async function doctor(): Promise<number> {
  let gpu;
  try {
    gpu = await requestGpu();
  } catch (e) {
    if (e instanceof NoAdapterError) { console.error(e.message); return 3; }
    throw e;
  }
  try {
    console.log(`WebGPU adapter: ${gpu.adapterName}`);
    for (const k of SHOWN) console.log(`  ${k.padEnd(36)} ${gpu.limits[k]}`);
    const lanes = gpu.subgroupSize;
    console.log(`  ${'subgroups'.padEnd(36)} ${lanes === null ? 'none of a fixed size' : `${lanes} lanes`}` +
      (nodeWindowShape(2, lanes) ? ' (2D step adjoints share node loads between lanes)' : ''));
    const sb = gpu.limits.maxStorageBuffersPerShaderStage;
    if (sb < NEEDED_STORAGE_BUFFERS) {
      console.log(`Backward passes need ${NEEDED_STORAGE_BUFFERS} storage buffers per stage; this adapter gives ${sb}: forward runs only.`);
      return 1;
    }
    console.log('OK: forward and backward kernels can run.');
    return 0;
  } finally {
    gpu.destroy();
  }
}
