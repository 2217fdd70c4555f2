// Draws a simulation's particles onto a WebGPU canvas straight from its state buffer: the vertex
// shader (points.wgsl) reads particle records as a read-only storage buffer, so a frame costs no
// GPU -> CPU -> GPU copy. A consumer of the simulator: it only reads buffers the sim already owns.
import { viewerShaders } from '../shaders/index';
import type { ColorMode, PointsSource, SceneView } from './scene-view';

const UNIFORM = 0x40;
const COPY_DST = 0x08;
const VERTEX = 0x1;
const VIEW_BYTES = 56;
const CLEAR: GPUColor = { r: 0.08, g: 0.09, b: 0.11, a: 1 };

/** The flat-disc view: the fallback where three.js's WebGPU path does not start (viewer.ts). */
export class PointsRenderer implements SceneView {
  readonly name = 'points';
  readonly context: GPUCanvasContext;
  readonly format: GPUTextureFormat;
  private readonly pipeline: GPURenderPipeline;
  private readonly layout: GPUBindGroupLayout;
  private readonly viewBuf: GPUBuffer;
  private readonly view = new ArrayBuffer(VIEW_BYTES);
  private readonly viewF32 = new Float32Array(this.view);
  private readonly viewU32 = new Uint32Array(this.view);
  private source: PointsSource | null = null;
  private readonly groups = new Map<GPUBuffer, GPUBindGroup>();
  colorMode: ColorMode = 'group';
  /** Disc radius as a fraction of the particle spacing. */
  radiusScale = 0.75;

  constructor(readonly device: GPUDevice, readonly canvas: HTMLCanvasElement) {
    const context = canvas.getContext('webgpu');
    if (!context) throw new Error('this browser gives no WebGPU context for a canvas');
    this.context = context;
    this.format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device, format: this.format, alphaMode: 'opaque' });
    const module = device.createShaderModule({ label: 'viewer.points.wgsl', code: viewerShaders.points });
    const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry =>
      ({ binding, visibility: VERTEX, buffer: { type } });
    this.layout = device.createBindGroupLayout({
      label: 'viewer.points.layout',
      entries: [entry(0, 'uniform'), entry(1, 'read-only-storage'), entry(2, 'read-only-storage')],
    });
    this.pipeline = device.createRenderPipeline({
      label: 'viewer.points.pipeline',
      layout: device.createPipelineLayout({ label: 'viewer.points.pipeline-layout', bindGroupLayouts: [this.layout] }),
      vertex: { module, entryPoint: 'vs_main' },
      fragment: { module, entryPoint: 'fs_main', targets: [{ format: this.format }] },
      primitive: { topology: 'triangle-strip' },
    });
    this.viewBuf = device.createBuffer({ label: 'viewer.points.view', size: VIEW_BYTES, usage: UNIFORM | COPY_DST });
  }

  /** Draws `source`'s particles from now on; bind groups are made per state buffer on first use. */
  setSource(source: PointsSource): void {
    this.source = source;
    this.groups.clear();
  }

  /** Matches the canvas backing store to its CSS size; true when it changed. */
  fitCanvas(dpr = globalThis.devicePixelRatio ?? 1): boolean {
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (w === this.canvas.width && h === this.canvas.height) return false;
    this.canvas.width = w;
    this.canvas.height = h;
    return true;
  }

  /** Encodes one render pass that clears the canvas and draws the particles of `state`. */
  encode(enc: GPUCommandEncoder, state: GPUBuffer): void {
    const pass = enc.beginRenderPass({
      label: 'viewer.points.pass',
      colorAttachments: [{ view: this.context.getCurrentTexture().createView(), clearValue: CLEAR, loadOp: 'clear', storeOp: 'store' }],
    });
    const src = this.source;
    if (src) {
      this.writeView(src);
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.bindGroup(src, state));
      pass.draw(4, src.n);
    }
    pass.end();
  }

  private bindGroup(src: PointsSource, state: GPUBuffer): GPUBindGroup {
    let g = this.groups.get(state);
    if (!g) {
      g = this.device.createBindGroup({
        label: `viewer.points.bind.${state.label}`,
        layout: this.layout,
        entries: [{ binding: 0, resource: { buffer: this.viewBuf } }, { binding: 1, resource: { buffer: state } },
          { binding: 2, resource: { buffer: src.model } }],
      });
      this.groups.set(state, g);
    }
    return g;
  }

  // Fits the domain's x-y rectangle into the canvas with a small margin, keeping its aspect.
  private writeView(src: PointsSource): void {
    const { width: w, height: h } = this.canvas;
    const [ex, ey] = src.extent;
    const margin = 0.97;
    const s = margin * Math.min(w / ex, h / ey); // pixels per domain unit
    const f = this.viewF32, u = this.viewU32;
    f.set([(2 * s) / w, (2 * s) / h, -(s * ex) / w, -(s * ey) / h, 2 / w, 2 / h], 0);
    u.set([src.stride, src.dim, src.n, this.colorMode === 'speed' ? 1 : 0], 6);
    f.set([src.speedMax, this.radiusScale, src.pointRadius], 10);
    this.device.queue.writeBuffer(this.viewBuf, 0, this.view);
  }

  /** Drawn in encode(): nothing to do after the submit. */
  present(): void {}

  takeChanged(): boolean { return false; }

  dispose(): void {
    this.groups.clear();
    this.source = null;
    this.viewBuf.destroy();
    this.context.unconfigure();
  }
}
