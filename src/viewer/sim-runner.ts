// A forward rollout for the viewer: one Simulator of any kind, two state buffers stepped in ping-pong, the step
// count, and the blow-up check. It encodes and never submits on its own, except in readPositions,
// which a caller asked for.
import type { GpuContext } from '../gpu/device';
import { readF32, writeBuffer } from '../gpu/buffers';
import { positionField, type Simulator } from '../core/simulator';
import { createSimulator, type Scene } from '../simulators';
import type { PipelineCache } from '../gpu/pipeline-cache';
import { ControlledSim } from '../control/controlled-sim';
import type { DrawSource } from './scene-view';
import { actuationMap, actuationMax, gripperMarks, groundDrawHeight, strainMap, targetMarks } from './draw-source';

/** Green strain at the top of the strain colour ramp. */
const STRAIN_MAX = 0.1;

/** Step records kept beyond the scene's control horizon; later steps reuse the last record. */
const EXTRA_STEP_RECORDS = 4096;

export interface BlowUp {
  /** First bad step when known exactly, else the last step known to be good. */
  step: number;
  /** Human-readable: the simulator's blowUpMessage, or the steps between which it blew up. */
  message: string;
}

export class SimRunner {
  /** Steps taken since the last reset. */
  step = 0;
  private cur = 0;
  private readonly states: [GPUBuffer, GPUBuffer];
  private readonly stepRecords: number;
  /** Steps known to be free of a blow-up (status read clean after them). */
  private goodThrough = 0;

  private constructor(readonly sim: Simulator, readonly scene: Scene) {
    this.states = [sim.createState('viewer.a', sim.state0), sim.createState('viewer.b')];
    // The step index only selects a control row (clamped to the horizon) and names a blow-up, so a
    // fixed table serves an endless rollout: the step buffer does not grow with it.
    this.stepRecords = sim.horizon + EXTRA_STEP_RECORDS;
    sim.ensureSteps(this.stepRecords);
  }

  static async create(gpu: GpuContext, scene: Scene, cache: PipelineCache): Promise<SimRunner> {
    // sortEvery 0 whatever the scene says: an endless rollout and draw kernels in the scene's order (docs/design.md, "Particle order")
    return new SimRunner(await createSimulator(gpu, scene, { cache, sortEvery: 0 }), scene);
  }

  get particles(): number { return this.sim.state.items; }

  /** The state buffer holding the particles at `step`. */
  get current(): GPUBuffer { return this.states[this.cur]; }

  /** What a view needs to draw this rollout. */
  source(): DrawSource {
    const { dim, state, state0 } = this.sim;
    const g = Math.hypot(...this.scene.gravity);
    const extent = this.sim.extent.slice();
    // The speed of a fall across the domain, or the fastest initial speed if that is more.
    let v0 = 0;
    const v = state.fields.find((f) => f.name === 'v');
    for (let p = 0; v && p < state.items; p++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += state0[p * state.stride + v.offset + i] ** 2;
      v0 = Math.max(v0, Math.sqrt(s));
    }
    const speedMax = Math.max(Math.sqrt(2 * g * extent[1]), v0, 1e-3);
    const posOffset = positionField(state).offset;
    const scene = this.scene;
    const spring = 'vertices' in scene ? scene : null;
    const triangles = spring?.triangles ? Uint32Array.from(spring.triangles.indices) : null;
    const lines = spring?.springs?.pairs.length ? Uint32Array.from(spring.springs.pairs) : null;
    const F = spring ? undefined : state.fields.find((f) => f.name === 'F');
    return {
      dim, n: state.items, stride: state.stride, extent, model: this.sim.itemAttributes, speedMax,
      posOffset, velOffset: v ? v.offset : -1,
      pointRadius: spring ? vertexRadius(state0, state.stride, posOffset, dim, lines, extent) : 0,
      triangles, lines, ground: groundDrawHeight(scene, extent), colliders: scene.colliders ?? [],
      fOffset: F ? F.offset : -1,
      groupFlags: Uint32Array.from('groups' in scene ? scene.groups.map((g) => (g.material === 'fluid' ? 1 : 0)) : [0]),
      strainMax: STRAIN_MAX,
      strain: strainMap(scene, state0, state.stride, posOffset),
      actuation: this.actuation(),
      targets: targetMarks(scene), grippers: gripperMarks(scene),
    };
  }

  // The control record the simulator's actuation rows live in (a controller's: its inner simulator's, which it writes each step).
  private actuation(): DrawSource['actuation'] {
    const sim = this.sim;
    const target = sim instanceof ControlledSim ? sim.inner.actuationTarget?.() : sim.actuationTarget?.();
    const map = target ? actuationMap(this.scene, sim.state.items) : null;
    if (!target || !map) return null;
    return { buffer: target.buffer, offset: target.offset, channels: target.channels, horizon: sim.horizon, map, max: actuationMax(this.scene) };
  }

  /**
   * Steps past the table: with `wrap` > 0 they take record horizon + (step - horizon) mod wrap, which
   * reads the same control row and, where wrap is a multiple of a controller's clock period in steps,
   * the same phase (src/control); otherwise the last record.
   */
  wrap = 0;

  private record(step: number): number {
    const last = this.stepRecords - 1;
    if (step <= last) return step;
    const h = this.sim.horizon;
    if (this.wrap > 0 && this.wrap <= last - h) return h + ((step - h) % this.wrap);
    return last;
  }

  /** Encodes `count` steps into one compute pass of `enc`. */
  encodeSteps(enc: GPUCommandEncoder, count: number): void {
    if (count <= 0) return;
    const pass = enc.beginComputePass({ label: 'viewer.steps' });
    for (let k = 0; k < count; k++) {
      const s = this.record(this.step);
      this.sim.encodeStep(pass, this.states[this.cur], this.states[1 - this.cur], s);
      this.cur = 1 - this.cur;
      this.step++;
    }
    pass.end();
  }

  /** Shows `record` (a whole state) as the state at `step`, without stepping: a replay's frame. */
  showState(record: Float32Array, step: number): void {
    writeBuffer(this.sim.device, this.states[this.cur], record);
    this.step = step;
  }

  /**
   * Goes on from `from`'s state and step (a queued copy, before the next submit): `from` ran the
   * same items with the same state layout (the scene with a collider or gripper added or removed).
   */
  adopt(from: SimRunner): void {
    const bytes = this.sim.stateBytes;
    if (from.sim.stateBytes !== bytes) throw new Error(`cannot carry the state over: ${from.sim.stateBytes} bytes of state, this simulator has ${bytes}`);
    const enc = this.sim.device.createCommandEncoder({ label: 'viewer.adopt' });
    enc.copyBufferToBuffer(from.current, 0, this.states[0], 0, bytes);
    this.sim.device.queue.submit([enc.finish()]);
    this.cur = 0;
    this.step = from.step;
    this.goodThrough = from.goodThrough;
  }

  /** Back to the scene's initial state (queued write; takes effect before the next submit). */
  reset(): void {
    writeBuffer(this.sim.device, this.states[0], this.sim.state0);
    this.cur = 0;
    this.step = 0;
    this.goodThrough = 0;
    this.sim.resetStatus();
  }

  /**
   * Reads the blow-up flag (a small read-back, every few dozen frames). Null while every step
   * submitted so far is sound.
   */
  async checkBlowUp(): Promise<BlowUp | null> {
    const upTo = this.step;
    const status = await this.sim.readStatus();
    const { badStep } = status;
    if (badStep === null) {
      this.goodThrough = Math.max(this.goodThrough, upTo);
      return null;
    }
    // the simulator's own message names what it checks (MPM: a speed over dx/dt, a grid node's
    // range; springs and shells: a vertex non-finite or far away) and what to change
    if (badStep < this.stepRecords - 1 && upTo < this.stepRecords) {
      return { step: badStep, message: this.sim.blowUpMessage(status).replace(/\.$/, '') };
    }
    // past the step table the step it names is a clamped record, so only the range is known
    const why = this.sim.kind === 'mpm' ? 'a non-finite value, a speed over dx/dt or a grid node past its fixed-point range'
      : 'a vertex position or velocity non-finite or past |x| = 1e7';
    return { step: this.goodThrough, message: `the simulation blew up between steps ${this.goodThrough} and ${upTo} (${why})` };
  }

  /** The whole state of the step shown, every record and field (a read-back, for what a user asks for). */
  readState(): Promise<Float32Array> {
    return readF32(this.sim.device, this.current, 0, this.sim.stateBytes / 4);
  }

  /** Replaces the current state (a queued write: the next submit's steps start from it). */
  writeState(data: Float32Array): void {
    if (data.length * 4 !== this.sim.stateBytes) throw new RangeError(`state has ${data.length} floats, expected ${this.sim.stateBytes / 4}`);
    writeBuffer(this.sim.device, this.current, data);
  }

  /** Positions of batch copy 0, [N][DIM] float32 (a read-back: for tests and what a user asks for). */
  async readPositions(): Promise<Float32Array> {
    const { dim, state } = this.sim;
    const rec = await readF32(this.sim.device, this.current, 0, state.items * state.stride);
    const off = positionField(state).offset;
    return Float32Array.from({ length: state.items * dim }, (_, k) => rec[Math.floor(k / dim) * state.stride + off + (k % dim)]);
  }

  destroy(): void {
    for (const b of this.states) b.destroy();
    this.sim.destroy();
  }
}

/** A fifth of the mean spring length at rest (the vertices stay apart), else 0.6% of the domain. */
function vertexRadius(x: Float32Array, stride: number, off: number, dim: number, pairs: Uint32Array | null, extent: number[]): number {
  if (!pairs) return 0.006 * Math.max(...extent);
  let sum = 0;
  for (let s = 0; s < pairs.length; s += 2) {
    let d2 = 0;
    for (let k = 0; k < dim; k++) d2 += (x[pairs[s] * stride + off + k] - x[pairs[s + 1] * stride + off + k]) ** 2;
    sum += Math.sqrt(d2);
  }
  return (0.2 * sum) / (pairs.length / 2);
}
