// The contract between a simulator family (MPM today; mass-spring and thin shells next) and what is
// written once for all of them: the checkpointed rollout (rollout.ts), the losses, gradcheck, the
// optimizer and the viewer. In Warp's terms a Simulator is the integrator bound to one model: it owns
// the static model and the control buffers; state buffers are created by it and handed back to it
// step by step, so the rollout decides which buffer holds which step. It encodes, never submits.
import type { GpuContext } from '../gpu/device';
import type { PipelineCache } from '../gpu/pipeline-cache';

/** A named run of floats inside each item's state record (e.g. MPM's `x`, `v`, `C`, `F`). */
export interface StateField {
  name: string;
  offset: number;
  length: number;
}

/**
 * A state buffer holds `batch` copies of `items` records of `stride` floats, copy-major:
 * float (b * items + i) * stride + offset of field f is field f of item i in copy b.
 */
export interface StateLayout {
  items: number;
  stride: number;
  fields: StateField[];
  /** The field whose first `dim` floats are an item's position (what viewers draw and losses read). */
  position: string;
  /**
   * State that belongs to no item (a shell's plastic rest angles): `length` floats per copy, after
   * all copies' item records, copy-major, in the order listed.
   */
  tail?: { name: string; length: number }[];
}

/**
 * A block of the differentiable control vector. Entries are listed by their index in one batch
 * copy's vector (the batch-1 layout); `rowLength` > 0 marks a per-step block (`rows` rows of that
 * many entries, row k driving step min(k, horizon - 1)).
 */
export interface ParamBlock {
  /** 'groups[0].E', 'actuation', 'colliders[1].position', ... */
  name: string;
  /** What the block is, for grouping (gradcheck's kinds, an optimizer's choices). */
  kind: 'material' | 'actuation' | 'track' | 'controller';
  indices: Uint32Array;
  rowLength: number;
  /** Valid values, inclusive unless open: an optimizer clamps to them. */
  min?: number;
  max?: number;
  /** Finite-difference step for gradcheck, in the block's units; `relative`: a fraction of each value. */
  eps: number;
  relative?: boolean;
}

/** The differentiable inputs besides the initial state: one control vector per batch copy. */
export interface ParamSpace {
  /** Floats in one batch copy's control vector. */
  size: number;
  blocks: ParamBlock[];
  /** Copy b's control vector (batch-1 layout), as the GPU holds it now. */
  values(b: number): Float64Array;
  /** The packed GPU control record with copy b's vector replaced (others unchanged). */
  pack(packed: Float32Array, b: number, values: ArrayLike<number>): void;
  /** Copy b's slice of a packed GPU control record or its gradient (batch-1 layout). */
  unpack(packed: Float32Array, b: number): Float64Array;
}

/**
 * Where a simulator reads its actuation: channel c of step t in copy b is float
 * offset + b * copyStride + min(t, horizon - 1) * channels + c of `buffer` (the GPU control record),
 * and its gradient the same float of paramGrad. A closed-loop controller writes it there each step
 * (src/control/controlled-sim.ts).
 */
export interface ActuationTarget {
  buffer: GPUBuffer;
  offset: number;
  copyStride: number;
  channels: number;
}

/** What every simulator reports after a forward rollout. */
export interface SimStatus {
  /** First step whose output was non-finite or beyond the simulator's blow-up limits, or null. */
  badStep: number | null;
}

/**
 * Buffers of one step adjoint: dL/d(state at step + 1) in gOut, dL/d(state at step) out to gIn. A
 * simulator may use gOut as scratch once it has read it (MPM does where the step sorts): a caller
 * must not expect it to survive the call.
 */
export interface StepAdjointIO {
  sIn: GPUBuffer;
  sOut: GPUBuffer;
  gOut: GPUBuffer;
  gIn: GPUBuffer;
  step: number;
  /** The state at step - 1 where the tape still holds it (null otherwise): a simulator may use it. */
  sPrev: GPUBuffer | null;
}

/**
 * A simulator that reorders its items during a rollout (MPM's particle sort, sortEvery): the state
 * after t steps holds them in an order of its own, not the user's (state 0 is always the user's).
 * Rollout and recordFrames convert at every boundary a user sees: states read or kept, dL/d(state)
 * handed in. Records are moved whole (all fields of an item), batch copies each by their own order.
 */
export interface ItemOrder {
  /** Whether the state after t steps holds its items in the user's order. */
  isUserOrder(t: number): boolean;
  /** dst = src (the state after t steps, or dL/d it, as the simulator holds it) in the user's order; src and dst differ. */
  encodeToUser(pass: GPUComputePassEncoder, src: GPUBuffer, dst: GPUBuffer, t: number): void;
  /** dst = src (in the user's order) in the simulator's order of the state after t steps; src and dst differ. */
  encodeFromUser(pass: GPUComputePassEncoder, src: GPUBuffer, dst: GPUBuffer, t: number): void;
  /**
   * The order of the state after t steps: [batch][items] u32, the user's index of the item at each
   * place (copy b's place p at b * items + p), or null where it is the user's order. For kernels
   * outside the simulator that read per-item data of a reordered state (a controller's features).
   */
  stateOrder(t: number): GPUBuffer | null;
  /** Bytes the reordering keeps (its order records, scratch states), for the tape's memory account. */
  bytes(): number;
}

export interface Simulator<Status extends SimStatus = SimStatus> {
  /** The scene kind this simulator runs ('mpm', ...). */
  readonly kind: string;
  readonly gpu: GpuContext;
  readonly device: GPUDevice;
  readonly cache: PipelineCache;
  readonly dim: 2 | 3;
  readonly batch: number;
  readonly state: StateLayout;
  /** Bytes of one state buffer (all batch copies). */
  readonly stateBytes: number;
  /** The scene's initial state, all batch copies. */
  readonly state0: Float32Array;
  /** Steps the scene's control tracks cover. */
  readonly horizon: number;
  readonly params: ParamSpace;
  /** The packed GPU control record (all copies), as last written. */
  readonly paramValues: Float32Array;
  /** dL/d(control record), packed like it: filled by a backward. */
  readonly paramGrad: GPUBuffer;
  /** Bumped on every writeParams: a rollout refuses a backward over controls it did not run. */
  readonly paramVersion: number;
  /** Keys of this simulator's work for the GPU pacer (src/gpu/pacer.ts). */
  readonly workKind: { step: string; adjoint: string };

  createState(label: string, init?: Float32Array): GPUBuffer;
  /** The step table holds steps 0..n-1 after this. */
  ensureSteps(n: number): void;
  /**
   * Steps encoded so far, by anyone. A step may write records the step adjoint reads later (MPM's
   * particle order when it sorts, a controller's actuation row), so a rollout refuses a
   * backward when steps it did not encode ran in between (rollout.ts).
   */
  readonly stepsEncoded: number;
  /** One step: state sIn at `step` -> sOut at step + 1. */
  encodeStep(pass: GPUComputePassEncoder, sIn: GPUBuffer, sOut: GPUBuffer, step: number): void;

  /** Zeroes the adjoint accumulators (paramGrad included) before a backward. */
  clearAdjoint(enc: GPUCommandEncoder): void;
  /**
   * The adjoint of one step. A rollout calls it for steps in reverse and passes each call the value
   * the previous call returned (undefined for the first): an opaque hint by which a simulator can
   * share work between consecutive step adjoints (MPM fuses g2p's local adjoint of step - 1 into
   * this step's p2g adjoint when sPrev is given, and the next call skips it).
   */
  encodeStepAdjoint(pass: GPUComputePassEncoder, io: StepAdjointIO, hint: unknown): unknown;
  /** After the last step adjoint: whatever folds per-item gradients into paramGrad. */
  encodeFinishAdjoint(pass: GPUComputePassEncoder): void;

  /** Replaces the packed control record of all batch copies. */
  writeParams(values: Float32Array): void;
  resetStatus(): void;
  readStatus(): Promise<Status>;
  /** What went wrong, for people, when status.badStep is set. */
  blowUpMessage(status: Status): string;
  /** What else a user should know about a finished rollout (', 3 particle-steps clamped ...'), or ''. */
  describeStatus(status: Status): string;
  /** The goal vector copy b's controller is commanded (a controller with a 'goal' input; src/control), read by losses that track it (com-speed). */
  goalOf?(b: number): number[];
  /** Where the actuation rows live, for a simulator with actuation channels (null without any). */
  actuationTarget?(): ActuationTarget | null;
  /** For viewers, besides positions: [items] pairs of f32 (group index, volume) to colour and size each item. */
  readonly itemAttributes: GPUBuffer;
  /** Present where the simulator reorders its items during a rollout (see ItemOrder). */
  readonly itemOrder?: ItemOrder;
  /** The domain's size per axis (a viewer fits its camera to it). */
  readonly extent: number[];
  /** Items of a group (or all with group undefined): their index range and the weights (masses) a centre of mass uses. */
  selection(group?: number): { start: number; count: number; weights: Float32Array };
  destroy(): void;
}

/**
 * The ParamSpace a simulator hands out, with its copy index and packed record checked: a copy past
 * the batch or a record of another simulator (another batch, a Float64Array) would otherwise give
 * an empty vector or one of NaNs and undefined reads without a word.
 */
export function checkedParamSpace(space: ParamSpace, batch: number, recordLength: () => number): ParamSpace {
  const copy = (what: string, b: number) => {
    if (!(Number.isInteger(b) && b >= 0 && b < batch)) throw new RangeError(`params.${what}: copy = ${b}: allowed an integer in [0, ${batch - 1}] (the simulator's batch copies)`);
  };
  const record = (what: string, rec: unknown) => {
    const n = recordLength();
    if (rec instanceof Float32Array && rec.length === n) return;
    const got = ArrayBuffer.isView(rec) ? `a ${rec.constructor.name} of ${(rec as Float32Array).length}` : rec === null ? 'null' : Array.isArray(rec) ? `an Array of ${rec.length}` : typeof rec;
    throw new RangeError(`params.${what}: the packed record is ${got}: allowed a Float32Array of ${n} floats (packed like sim.paramValues, or sim.paramGrad read back)`);
  };
  return {
    size: space.size,
    blocks: space.blocks,
    values: (b) => { copy('values', b); return space.values(b); },
    pack: (rec, b, v) => { record('pack', rec); copy('pack', b); space.pack(rec, b, v); },
    unpack: (rec, b) => { record('unpack', rec); copy('unpack', b); return space.unpack(rec, b); },
  };
}

/**
 * A control record handed to writeParams: a Float32Array of the packed length (sim.paramValues,
 * or params.inputs(theta).ctrl). A Float64Array such as params.values(b) of the same length would
 * pass a length check and overrun the GPU buffer with twice the bytes.
 */
export function checkParamRecord(values: unknown, length: number): void {
  if (values instanceof Float32Array && values.length === length) return;
  const got = ArrayBuffer.isView(values) ? `a ${values.constructor.name} of ${(values as Float32Array).length}` : String(values);
  throw new RangeError(`writeParams: the control record is ${got}: allowed a Float32Array of ${length} floats (the packed layout of sim.paramValues, as params.inputs(theta).ctrl makes it)`);
}

/**
 * Every entry of a packed control record finite and inside its block's range (ParamBlock min, max),
 * for each batch copy: a RangeError names the block, the copy, the entry and the value. A negative
 * stiffness or a NaN from a host program would otherwise surface as a blow-up at step 0.
 */
export function checkParamValues(space: ParamSpace, packed: Float32Array, batch: number): void {
  for (let b = 0; b < batch; b++) {
    const v = space.unpack(packed, b);
    for (const blk of space.blocks) {
      const lo = blk.min ?? -Infinity, hi = blk.max ?? Infinity;
      for (let k = 0; k < blk.indices.length; k++) {
        const x = v[blk.indices[k]];
        if (Number.isFinite(x) && x >= lo && x <= hi) continue;
        const at = blk.indices.length > 1 ? `[${k}]` : '';
        const allowed = `${lo === Number.MIN_VALUE ? '> 0' : lo === -Infinity ? 'finite' : `>= ${lo}`}${hi === Infinity ? '' : ` and <= ${hi}`}`;
        throw new RangeError(`writeParams: ${blk.name}${at} = ${x}${batch > 1 ? ` in batch copy ${b}` : ''}: allowed ${allowed}`);
      }
    }
  }
}

/** What a destroyed simulator says when it is asked to step (rather than WebGPU's errors about destroyed buffers). */
export function destroyedError(scene: string): Error {
  return new Error(`${scene}: its simulator was destroyed (destroy()); create another`);
}

/**
 * Refuses a step table of n records of `stride` bytes that no device buffer holds, by the step
 * count (a rollout's or recordFrames' length); before anything is allocated or destroyed.
 */
export function checkStepTable(n: number, stride: number, maxBufferSize: number): void {
  const most = Math.floor(maxBufferSize / stride);
  if (n > most) {
    throw new RangeError(`steps = ${n}: the step table takes ${stride} bytes a step, and this device's largest buffer (maxBufferSize ${maxBufferSize} bytes) holds ${most}: allowed at most ${most} steps`);
  }
}

/** A state's floats must fill the state: a shorter array would leave the rest as it was (zeros) without a word. */
export function checkStateLength(what: string, floats: number, stateBytes: number): void {
  if (floats !== stateBytes / 4) throw new RangeError(`${what}: ${floats} floats, expected ${stateBytes / 4} (a whole state: batch x items x stride, then the tail)`);
}

/** Refuses a state holding a NaN or an infinity, naming the float (copy, item, field): one would surface as a blow-up at step 0. */
export function checkStateFinite(what: string, state: Float32Array, s: StateLayout, batch: number): void {
  for (let k = 0; k < state.length; k++) {
    if (Number.isFinite(state[k])) continue;
    const records = batch * s.items * s.stride;
    let where = 'the tail, after the item records';
    if (k < records) {
      const r = Math.floor(k / s.stride), o = k % s.stride;
      const f = s.fields.find((x) => o >= x.offset && o < x.offset + x.length);
      where = `copy ${Math.floor(r / s.items)}, item ${r % s.items}, ${f ? `field ${f.name}[${o - f.offset}]` : `padding float ${o}`}`;
    }
    throw new RangeError(`${what}[${k}] = ${state[k]} (${where}) is not finite: allowed finite numbers`);
  }
}

/** The state layout's position field (offset and length). */
export function positionField(s: StateLayout): StateField {
  const f = s.fields.find((x) => x.name === s.position);
  if (!f) throw new Error(`state layout has no field '${s.position}'`);
  return f;
}
