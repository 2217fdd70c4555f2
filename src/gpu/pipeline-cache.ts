// Compute pipelines with explicit bind group layouts, compiled once per (label, entry point, code),
// and WGSL errors turned into messages a person can act on: label, line, column, the source line.

/** Binding kinds at @group(0) @binding(0..n-1), in that order (house rule: uniform params first). */
export type BindingKind = 'uniform' | 'uniform-dynamic' | 'read' | 'rw';

export interface ComputeKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** A whole buffer, or a range of one. */
export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** A WGSL module or pipeline that failed to build; `messages` are formatted `label:line:col kind: text`. */
export class ShaderCompileError extends Error {
  constructor(readonly label: string, readonly messages: string[]) {
    super(`WGSL error in '${label}':\n${messages.join('\n')}`);
    this.name = 'ShaderCompileError';
  }
}

const SHADER_STAGE_COMPUTE = 0x4; // GPUShaderStage.COMPUTE, literal so Node needs no Dawn globals yet

function layoutEntry(kind: BindingKind, binding: number): GPUBindGroupLayoutEntry {
  const visibility = SHADER_STAGE_COMPUTE;
  switch (kind) {
    case 'uniform': return { binding, visibility, buffer: { type: 'uniform' } };
    case 'uniform-dynamic': return { binding, visibility, buffer: { type: 'uniform', hasDynamicOffset: true } };
    case 'read': return { binding, visibility, buffer: { type: 'read-only-storage' } };
    case 'rw': return { binding, visibility, buffer: { type: 'storage' } };
    default: throw new Error(`unknown binding kind '${kind as string}' at binding ${binding}`);
  }
}

// FNV-1a, 32 bits: a cache key, not a checksum (the length goes into the key too).
function hashCode(code: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
  return `${(h >>> 0).toString(16)}:${code.length}`;
}

/** Formats compilation messages as `label:line:col error: text` plus the offending source line. */
export function formatCompilationMessages(label: string, code: string, messages: readonly GPUCompilationMessage[]): string[] {
  const lines = code.split('\n');
  return messages.map((m) => {
    const head = `${label}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`;
    const src = m.lineNum > 0 ? lines[m.lineNum - 1] : undefined;
    if (src === undefined) return head;
    const caret = ' '.repeat(Math.max(0, m.linePos - 1)) + '^'.repeat(Math.max(1, Math.min(m.length, src.length)));
    return `${head}\n  ${String(m.lineNum).padStart(4)} | ${src}\n       | ${caret}`;
  });
}

interface Entry {
  kernel: ComputeKernel;
  /** Resolves once compilation is known good; rejects with a ShaderCompileError. */
  check: Promise<void>;
}

export class PipelineCache {
  private readonly entries = new Map<string, Entry>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly failures: ShaderCompileError[] = [];

  constructor(readonly device: GPUDevice) {}

  /**
   * The pipeline and bind group layout for `code`. WebGPU reports WGSL errors asynchronously, so a
   * broken shader is printed at once (console.error) and thrown by `ready()`; use `computeAsync` to
   * get the error thrown right here.
   */
  compute(label: string, code: string, bindings: BindingKind[], entryPoint = 'main'): ComputeKernel {
    return this.entry(label, code, bindings, entryPoint).kernel;
  }

  /** As compute(), but waits for compilation and throws a ShaderCompileError if it failed. */
  async computeAsync(label: string, code: string, bindings: BindingKind[], entryPoint = 'main'): Promise<ComputeKernel> {
    const e = this.entry(label, code, bindings, entryPoint);
    await e.check;
    return e.kernel;
  }

  /** Waits for every pipeline made so far and throws the first compile failure, if any. */
  async ready(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.check));
    if (this.failures.length) throw this.failures[0];
  }

  /** One bind group layout per distinct binding list, so bind groups are shared between kernels. */
  layout(bindings: BindingKind[]): GPUBindGroupLayout {
    const key = bindings.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({ label: `bgl[${key}]`, entries: bindings.map(layoutEntry) });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** Binds buffers[i] at binding i. */
  bindGroup(label: string, layout: GPUBindGroupLayout, buffers: BufferBinding[]): GPUBindGroup {
    const entries = buffers.map((b, binding) => ({ binding, resource: 'mapState' in b ? { buffer: b } : b }));
    return this.device.createBindGroup({ label, layout, entries });
  }

  private entry(label: string, code: string, bindings: BindingKind[], entryPoint: string): Entry {
    const key = `${label}|${entryPoint}|${bindings.join(',')}|${hashCode(code)}`;
    let e = this.entries.get(key);
    if (!e) {
      e = this.build(label, code, bindings, entryPoint);
      this.entries.set(key, e);
    }
    return e;
  }

  private build(label: string, code: string, bindings: BindingKind[], entryPoint: string): Entry {
    const device = this.device;
    const layout = this.layout(bindings);
    // The scope keeps a broken shader from reaching the uncaptured-error handler as a bare message:
    // it is reported below with its label and source lines instead.
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: `${label}.module`, code });
    const pipeline = device.createComputePipeline({
      label: `${label}.pipeline`,
      layout: device.createPipelineLayout({ label: `${label}.layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint },
    });
    const scope = device.popErrorScope();
    const check = Promise.all([module.getCompilationInfo(), scope]).then(([info, err]) => {
      const errs = info.messages.filter((m) => m.type === 'error');
      if (!errs.length && !err) return;
      const messages = errs.length ? formatCompilationMessages(label, code, errs) : [];
      // Pipeline-level failures (missing entry point, layout mismatch) have no compilation message.
      if (err && !errs.length) messages.push(`${label} (entry point '${entryPoint}'): ${err.message}`);
      const failure = new ShaderCompileError(label, messages);
      this.failures.push(failure);
      console.error(failure.message);
      throw failure;
    });
    check.catch(() => {}); // reported above; rethrown by computeAsync/ready
    return { kernel: { pipeline, layout }, check };
  }
}
