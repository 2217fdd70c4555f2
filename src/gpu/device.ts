// One way to get a GPUDevice, in the browser (navigator.gpu) and in Node (Dawn through the `webgpu`
// package). Node entry points must turn off V8's top tier before this module loads: see
// tests/setup/v8-flags.ts and bin/torsion.mjs for why.
import { GpuPacer } from './pacer';
import { paceDawnPolling, unpaceDawnPolling } from './dawn/dawn-poll';

export interface GpuContext {
  device: GPUDevice;
  /** Human-readable adapter name, e.g. "llvmpipe: Mesa 25.0.7" or "swiftshader". */
  adapterName: string;
  /** Every numeric limit of the device as granted. */
  limits: Record<string, number>;
  /**
   * Lanes per subgroup where the device has the `subgroups` feature (requested whenever the adapter
   * offers it) and the adapter reports one fixed size; else null. Kernels that share loads between
   * the lanes of a subgroup are laid out for one size (src/shaders/node-window.ts).
   */
  subgroupSize: number | null;
  /** Uncaptured errors and unexpected device loss, oldest first; checkErrors() drains it. */
  errors: string[];
  /** Waits for submitted work without busy-polling a CPU core (see src/gpu/pacer.ts). */
  pacer: GpuPacer;
  /** Waits for submitted work, then throws a GpuError listing every error recorded so far. */
  checkErrors(): Promise<void>;
  /** Destroys the device; in Node also lets go of Dawn so the process can exit. */
  destroy(): void;
  /** Whether destroy() was called: nothing can run on the device after it. */
  readonly destroyed: boolean;
}

export interface RequestGpuOptions {
  /** Limits needed beyond the maxima requested by default; rejected if the adapter cannot give them. */
  requiredLimits?: Record<string, number>;
  requiredFeatures?: GPUFeatureName[];
  /** Features enabled when the adapter has them (e.g. timestamp-query for the benchmark). */
  optionalFeatures?: GPUFeatureName[];
}

const INSTALL_HINT = `On Debian 12 install Mesa lavapipe >= 24 (the stock bookworm Mesa 22.3 is refused by Dawn):
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'EOF'
  Types: deb
  URIs: http://deb.debian.org/debian
  Suites: bookworm-backports
  Components: main
  Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
  EOF
  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers
or run \`npm run setup\` (scripts/setup.sh), which does the same and prints the sudo commands if you are not root.
In a browser, use one with WebGPU enabled (Chromium: --enable-unsafe-webgpu).`;

export class NoAdapterError extends Error {
  constructor(detail = '') {
    super(`No WebGPU adapter is available${detail ? ` (${detail})` : ''}.\n${INSTALL_HINT}`);
    this.name = 'NoAdapterError';
  }
}

/** One or more WebGPU errors, collected from error scopes or the uncaptured-error handler. */
export class GpuError extends Error {
  constructor(readonly messages: string[], context = 'WebGPU') {
    super(`${context}: ${messages.length} error(s)\n${messages.join('\n---\n')}`);
    this.name = 'GpuError';
  }
}

// Raised by device requests beyond the adapter: the default maxima below, capped at the adapter's.
const MAXED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxDynamicUniformBuffersPerPipelineLayout',
] as const;

// Dawn's GPU object in Node, shared by every live context; dropped when the last one is destroyed,
// because a referenced Dawn instance keeps the Node event loop alive.
let dawnGpu: GPU | null = null;
let dawnUsers = 0;

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

async function acquireGpu(): Promise<GPU> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return navigator.gpu;
  if (!isNode()) throw new NoAdapterError('navigator.gpu is undefined in this browser');
  if (!dawnGpu) {
    // A variable specifier keeps Vite from bundling the native module into browser builds.
    const spec = 'webgpu';
    let mod: { create(flags: string[]): GPU; globals: object };
    try {
      mod = await import(/* @vite-ignore */ spec);
    } catch (e) {
      throw new NoAdapterError(`the 'webgpu' package failed to load: ${(e as Error).message}`);
    }
    // Idempotent: Dawn's GPUBufferUsage, GPUShaderStage, ... become globals as in a browser.
    if (!(globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage) Object.assign(globalThis, mod.globals);
    dawnGpu = mod.create([]);
    paceDawnPolling();
  }
  dawnUsers++;
  return dawnGpu;
}

function releaseGpu(gpu: GPU): void {
  if (gpu !== dawnGpu) return;
  if (--dawnUsers <= 0) {
    dawnUsers = 0;
    dawnGpu = null;
    unpaceDawnPolling();
  }
}

/** Every numeric attribute of a GPUSupportedLimits (they are prototype getters, so spread sees none). */
export function limitsToRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p: object | null = limits; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const v = (limits as unknown as Record<string, unknown>)[key];
      if (typeof v === 'number' && !(key in out)) out[key] = v;
    }
  }
  return out;
}

function adapterNameOf(adapter: GPUAdapter): string {
  const info = adapter.info;
  if (!info) return 'unknown';
  return info.description || info.device || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown';
}

function deviceRequest(adapter: GPUAdapter, opts: RequestGpuOptions): GPUDeviceDescriptor {
  const available = limitsToRecord(adapter.limits);
  const requiredLimits: Record<string, number> = {};
  for (const key of MAXED_LIMITS) if (key in available) requiredLimits[key] = available[key];
  for (const [key, value] of Object.entries(opts.requiredLimits ?? {})) {
    if (!(key in available)) throw new Error(`requestGpu: unknown limit '${key}'`);
    const maxLike = !key.startsWith('min');
    if (maxLike ? value > available[key] : value < available[key]) {
      throw new Error(`requestGpu: limit ${key} = ${value} is beyond what adapter '${adapterNameOf(adapter)}' gives (${available[key]})`);
    }
    requiredLimits[key] = value;
  }
  const required = opts.requiredFeatures ?? [];
  const missing = required.filter((f) => !adapter.features.has(f));
  if (missing.length) throw new Error(`requestGpu: adapter '${adapterNameOf(adapter)}' lacks feature(s) ${missing.join(', ')}`);
  const wanted = [...(opts.optionalFeatures ?? []), 'subgroups' as GPUFeatureName];
  const optional = [...new Set(wanted)].filter((f) => adapter.features.has(f) && !required.includes(f));
  return { label: 'torsion.device', requiredLimits, requiredFeatures: [...required, ...optional] };
}

function fixedSubgroupSize(adapter: GPUAdapter, device: GPUDevice): number | null {
  if (!device.features.has('subgroups')) return null;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const lo = info?.subgroupMinSize;
  return typeof lo === 'number' && lo > 0 && lo === info.subgroupMaxSize ? lo : null;
}

export async function requestGpu(opts: RequestGpuOptions = {}): Promise<GpuContext> {
  const gpu = await acquireGpu();
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    releaseGpu(gpu);
    throw new NoAdapterError(`requestAdapter() failed: ${(e as Error).message}`);
  }
  if (!adapter) {
    releaseGpu(gpu);
    throw new NoAdapterError('requestAdapter() returned null');
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice(deviceRequest(adapter, opts));
  } catch (e) {
    releaseGpu(gpu);
    if (e instanceof Error && e.message.startsWith('requestGpu:')) throw e;
    throw new Error(`requestGpu: requestDevice on adapter '${adapterNameOf(adapter)}' failed: ${(e as Error).message}`);
  }

  const errors: string[] = [];
  let destroyed = false;
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    const msg = `${ev.error.constructor?.name ?? 'GPUError'}: ${ev.error.message}`;
    errors.push(msg);
    console.error(`[torsion] uncaptured WebGPU error: ${msg}`);
  };
  void device.lost.then((info) => {
    if (destroyed && info.reason === 'destroyed') return;
    const msg = `device lost (${info.reason}): ${info.message}`;
    errors.push(msg);
    console.error(`[torsion] ${msg}`);
  });

  return {
    device,
    pacer: new GpuPacer(device.queue),
    adapterName: adapterNameOf(adapter),
    limits: limitsToRecord(device.limits),
    subgroupSize: fixedSubgroupSize(adapter, device),
    errors,
    async checkErrors() {
      if (!destroyed) await device.queue.onSubmittedWorkDone();
      if (errors.length) throw new GpuError(errors.splice(0), 'uncaptured WebGPU errors');
    },
    get destroyed() { return destroyed; },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
      releaseGpu(gpu);
    },
  };
}

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/**
 * Runs fn inside validation, out-of-memory and internal error scopes and throws a GpuError naming
 * `what` if any of them caught something. The scopes are popped even when fn throws.
 */
export async function withErrorScope<T>(device: GPUDevice, fn: () => T | Promise<T>, what = 'GPU work'): Promise<T> {
  // Error scopes belong to the device, not to an async context: calls made by other tasks while fn
  // awaits are caught here too. Keep fn short and awaited.
  for (const f of SCOPES) device.pushErrorScope(f);
  let result: T | undefined;
  let thrown: unknown = null;
  try {
    result = await fn();
  } catch (e) {
    thrown = e ?? new Error('withErrorScope: fn threw a nullish value');
  }
  // Popped whether or not fn threw, so the scope stack stays balanced.
  const caught = (await Promise.all(SCOPES.map(() => device.popErrorScope()))).filter((e): e is GPUError => e !== null);
  if (thrown) throw thrown;
  if (caught.length) throw new GpuError(caught.map((e) => e.message), what);
  return result as T;
}
