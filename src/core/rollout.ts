// A rollout of T steps that can be differentiated: forward keeps only the checkpoints of its
// schedule; backward recomputes each segment from its checkpoint (the grid is always recomputed
// by the step adjoint, never stored) and runs the step adjoints in reverse. The forward needs no
// buffers of its own: it alternates a segment's inner states between two slots no checkpoint has
// reached yet (forwardSlot), but for the last segment's, which it writes where the backward would
// recompute them, and the backward skips any it finds still there.
//
// Safety by construction: every state buffer records which step's state it holds, writes update
// that record when they are encoded, and the backward refuses (throws) to encode a step adjoint
// whose input buffer holds anything else. A buffer overwritten by a later step can't be read as
// if it were the old state.
//
// A simulator that reorders its items (Simulator.itemOrder: MPM's particle sort) keeps its tape's
// states in its own order; the rollout converts at its API (final, kept states, gFinal, a loss's
// injected gradients), so a user only ever sees the user's order.
//
// It knows simulators only through the Simulator interface (simulator.ts); how its submits are
// paced and observed is its queue's business (RolloutQueue), so a benchmark wraps the queue
// rather than reaching into the tape.
import { planCheckpoints, type CheckpointMode, type CheckpointSchedule } from './checkpoint-schedule';
import { checkStateFinite, checkStateLength, type Simulator, type SimStatus } from './simulator';
import { readF32, writeBuffer } from '../gpu/buffers';
import type { ComputeKernel } from '../gpu/pipeline-cache';

/** Steps a rollout or recordFrames submits before it waits for the GPU to run them (Rollout.stepsPerWait). */
export const STEPS_PER_WAIT = 4096;

export class RolloutError extends Error {
  constructor(message: string, readonly step: number | null) {
    super(message);
    this.name = 'RolloutError';
  }
}

export interface BackwardOptions {
  /** Reverse only the last `window` steps (truncated backpropagation through time). */
  window?: number;
  /** dL/d(state at t) of losses that observe step t (0 <= t < T), added as the backward passes t. */
  inject?: Map<number, GPUBuffer>;
  /**
   * Called after each step adjoint with its step t and the buffer holding dL/d(state at t), every
   * step submitted and waited for on its own (slow: for diagnosis); returning true stops the backward there.
   */
  inspect?: (t: number, g: GPUBuffer) => Promise<boolean>;
}

/**
 * A state buffer (or dL/d it) handed to a rollout: a GPUBuffer of exactly one of the simulator's
 * states. A Float32Array would reach Dawn as 'no overload matched', and a buffer of another
 * simulator (another batch, another scene) would be read in part without a word.
 */
function checkStateBuffer(what: string, b: unknown, stateBytes: number, hint: string): asserts b is GPUBuffer {
  const size = (b as { size?: unknown } | null)?.size;
  if (ArrayBuffer.isView(b) || typeof size !== 'number') {
    const got = b === null ? 'null' : ArrayBuffer.isView(b) ? `a ${b.constructor.name}` : Array.isArray(b) ? 'an Array' : typeof b;
    throw new RangeError(`${what} is ${got}: allowed a GPUBuffer of ${stateBytes} bytes (${hint})`);
  }
  // createBuffer pads a buffer to at least 16 bytes
  if (size < stateBytes || size > Math.max(16, stateBytes)) {
    throw new RangeError(`${what} '${(b as GPUBuffer).label}' has ${size} bytes: allowed a state of this simulator, ${stateBytes} bytes (${hint}; a buffer of another simulator, such as one of another batch size, does not fit)`);
  }
}

/** Where a backward first went non-finite: the step whose adjoint did, and the state fields it did in. */
export interface NonFiniteAdjoint {
  step: number;
  fields: string[];
}

/**
 * Runs `rollout` forward from state0 again and backward from gFinal step by step, reading
 * dL/d(state) after every step adjoint, and returns the first step (in the backward's order, the
 * latest) whose adjoint left a non-finite entry, with the fields it lies in (step T: gFinal itself
 * is not finite); null when none did.
 * For a message after a backward came out non-finite, not for every iteration.
 */
export async function firstNonFiniteAdjoint<S extends Simulator>(rollout: Rollout<S>, state0: Float32Array, gFinal: GPUBuffer,
  o: { keep?: number[]; inject?: Map<number, GPUBuffer> } = {}): Promise<NonFiniteAdjoint | null> {
  const sim = rollout.sim, { stride, items, fields } = sim.state;
  await rollout.forward(state0, { keep: o.keep });
  let found: NonFiniteAdjoint | null = null;
  const check = (t: number, g: Float32Array): boolean => {
    const bad = new Set<string>();
    for (let i = 0; i < g.length; i++) {
      if (Number.isFinite(g[i])) continue;
      const o = i % stride;
      const inItems = i < sim.batch * items * stride;
      bad.add(inItems ? fields.find((f) => o >= f.offset && o < f.offset + f.length)?.name ?? `slot ${o}` : 'tail');
    }
    if (bad.size) found = { step: t, fields: [...bad] };
    return bad.size > 0;
  };
  if (check(rollout.steps, await readF32(sim.device, gFinal))) return found;
  await rollout.backward(gFinal, { inject: o.inject, inspect: async (t, g) => check(t, await readF32(sim.device, g)) });
  return found;
}

/** What one submit of a rollout carried: forward steps (recomputed ones included) and step adjoints. */
export interface SubmittedWork { steps: number; adjoints: number }

/** Where a rollout's command buffers go, and how it waits for them. */
export interface RolloutQueue {
  /** The descriptor of a compute pass the rollout begins (a timer adds its timestamp writes). */
  pass(label: string): GPUComputePassDescriptor;
  submit(commands: GPUCommandBuffer, work: SubmittedWork): void;
  /** Resolves when everything submitted has run. */
  idle(): Promise<void>;
}

/**
 * The default queue: submits to the device and tells the GPU pacer what each submit carried, so
 * that waiting sleeps through most of the work instead of polling (src/gpu/pacer.ts).
 */
export function pacedQueue(sim: Simulator): RolloutQueue {
  const pacer = sim.gpu.pacer;
  return {
    pass: (label) => ({ label }),
    submit(commands, work) {
      sim.device.queue.submit([commands]);
      pacer.submitted(sim.workKind.step, work.steps);
      pacer.submitted(sim.workKind.adjoint, work.adjoints);
    },
    idle: () => pacer.idle(),
  };
}

export interface TapeMemory {
  mode: CheckpointMode;
  segments: number;
  /** Longest segment (the K of the schedule). */
  segmentLength: number;
  storedStates: number;
  stateBytes: number;
  tapeBytes: number;
  fullTapeBytes: number;
  ratio: number;
}

interface Slot { buf: GPUBuffer; holds: number }

type StatusOf<S> = S extends Simulator<infer T> ? T : SimStatus;

export class Rollout<S extends Simulator<SimStatus> = Simulator<SimStatus>> {
  readonly schedule: CheckpointSchedule;
  private readonly slots: Slot[];
  private readonly grads: GPUBuffer[];
  /** sim.paramVersion at the last forward: the backward must see the same controls. */
  private paramVersion = -1;
  /**
   * sim.stepsEncoded after the last step this rollout encoded: a step records what its adjoint reads
   * (MPM's particle order when it sorts, a controller's actuation row) in the simulator, so
   * steps anyone else ran since (another rollout, recordFrames, a viewer) make the backward refuse
   * instead of reading their records (Warp's tape reads overwritten arrays silently: warp#1350).
   */
  private stepMark = -1;
  /** A checkpointed backward recomputes into the slots of the checkpoints it used: once per forward. */
  private consumed = false;
  /** Steps encoded per command buffer: many substeps per submit keeps dispatch overhead low. */
  stepsPerSubmit = 32;
  /**
   * Forward and adjoint steps submitted between waits for the queue to drain. Dawn on lavapipe
   * crashes the process (a segmentation fault, no error) with some 70,000 steps of a 12-vertex spring
   * robot in flight, fewer of MPM: a rollout of the longest horizon a scene may have (100,000 steps)
   * used to submit them all before its one wait.
   */
  stepsPerWait = STEPS_PER_WAIT;
  /** Where submits go; a benchmark may wrap it to time passes or interleave work (src/bench). */
  queue: RolloutQueue;
  /** States the forward copied aside (its keep option), by step. */
  private readonly keptStates = new Map<number, GPUBuffer>();
  /** The steps the last forward kept (an earlier forward's kept states may linger in keptStates). */
  private keptNow = new Set<number>();
  /** Set by destroy(): its buffers are gone, so forward and backward refuse to run. */
  private destroyed = false;
  /** Where the simulator reorders its items: the final state in the user's order, and a scratch gradient. */
  private finalUser: Slot | null = null;
  private injectScratch: GPUBuffer | null = null;

  constructor(readonly sim: S, readonly steps: number, mode: CheckpointMode = 'auto') {
    this.schedule = planCheckpoints(steps, mode);
    sim.ensureSteps(steps);
    const mk = (label: string): Slot => ({ buf: sim.createState(label), holds: -1 });
    this.slots = Array.from({ length: this.schedule.slots }, (_, i) => mk(`tape${i}`));
    this.grads = [];
    this.queue = pacedQueue(sim);
  }

  private get full(): boolean { return this.schedule.mode === 'full'; }

  /** Whether some state of this rollout is not in the user's order (the simulator reorders items). */
  private get reorders(): boolean {
    const o = this.sim.itemOrder;
    return !!o && !o.isUserOrder(this.steps);
  }

  private passDesc(label: string): GPUComputePassDescriptor {
    return this.queue.pass(label);
  }

  private submit(enc: GPUCommandEncoder, work: SubmittedWork): void {
    this.queue.submit(enc.finish(), work);
  }

  /**
   * The final state (step T) after forward. A checkpointed backward reuses its slot for recomputed
   * states, so asking for it then is an error rather than a silently different state.
   */
  get final(): Slot {
    this.checkLive('final');
    if (this.finalUser) {
      if (this.finalUser.holds !== this.steps) throw new Error('tape: no final state: run forward first');
      return this.finalUser;
    }
    const s = this.slots[this.full ? this.steps : this.schedule.starts.length];
    if (s.holds !== this.steps) throw new Error(`tape: the final state (step ${this.steps}) is gone (its slot holds step ${s.holds}); read it after forward, before backward`);
    return s;
  }

  /**
   * Where state t lives while segment k (start c, length L) is reversed: the segment's checkpoint
   * in slot k, its end state in slot k + 1, the states in between in slots k + 2 ... (those of
   * later checkpoints, already consumed). The forward keeps the first two (forwardSlot).
   */
  private slotFor(k: number, t: number): Slot {
    if (this.full) return this.slots[t];
    const c = this.schedule.starts[k];
    if (t === c) return this.slots[k];
    if (t === c + this.schedule.lengths[k]) return this.slots[k + 1];
    return this.slots[k + 1 + (t - c)];
  }

  /**
   * Where the forward writes step t of segment k. The checkpoints go to their slots; the inner
   * states of a segment the backward will recompute alternate between two slots no checkpoint has
   * reached yet (those of checkpoints k + 2 and k + 3), so that the forward, like a plain rollout,
   * writes two states' worth of memory over and over rather than a new buffer every step, which
   * on a CPU driver misses the cache once the tape outgrows it. The last segment's
   * inner states, and the full tape, go where the backward reads them, which spares their
   * recompute.
   */
  private forwardSlot(k: number, t: number): Slot {
    const c = this.schedule.starts[k];
    const L = this.schedule.lengths[k];
    const last = k === this.schedule.starts.length - 1;
    if (this.full || last || t === c || t === c + L || k + 3 >= this.slots.length) return this.slotFor(k, t);
    // state c + L lands in slot k + 1: count the alternation back from there
    return this.slots[(c + L - t) % 2 === 1 ? k + 2 : k + 3];
  }

  memory(): TapeMemory {
    const stateBytes = this.sim.stateBytes;
    const storedStates = this.slots.length;
    const fullStates = this.steps + 1;
    // a reordering simulator's order records and scratch, and the user-order final state
    const extra = this.reorders ? this.sim.itemOrder!.bytes() + stateBytes : 0;
    const tapeBytes = storedStates * stateBytes + extra;
    return {
      mode: this.schedule.mode,
      segments: this.schedule.starts.length,
      segmentLength: Math.max(...this.schedule.lengths),
      storedStates,
      stateBytes,
      tapeBytes,
      fullTapeBytes: fullStates * stateBytes,
      ratio: tapeBytes / (fullStates * stateBytes),
    };
  }

  /**
   * Runs T steps from state0 (record array or a state buffer). Throws RolloutError on blow-up.
   * `keep`: steps whose states are copied aside on the way (kept(t)), for losses that observe them.
   */
  async forward(state0: Float32Array | GPUBuffer = this.sim.state0, o: { keep?: number[] } = {}): Promise<StatusOf<S>> {
    const sim = this.sim;
    this.checkLive('forward');
    // Every input is checked before the tape is touched: a refused forward leaves the last one's
    // tape (and its backward) as they were.
    const keep = new Set(o.keep ?? []);
    for (const t of keep) {
      if (!(Number.isInteger(t) && t >= 0 && t <= this.steps)) throw new RangeError(`keep: step ${t} is not a step of this rollout: allowed integers in [0, ${this.steps}]`);
    }
    // untyped callers (a .js host program) get a message, not Dawn's "no overload matched"
    if (!(state0 instanceof Float32Array) && (ArrayBuffer.isView(state0) || typeof (state0 as { size?: unknown } | null)?.size !== 'number')) {
      const hint = state0 !== null && typeof state0 === 'object' && 'state0' in state0 ? ': this looks like params.inputs(theta), whose .state0 is the state (or use params.write(theta))' : '';
      const got = state0 === null ? 'null' : ArrayBuffer.isView(state0) ? `a ${(state0 as object).constructor.name}` : typeof state0;
      throw new RangeError(`forward: state0 is ${got}, expected a Float32Array or a GPUBuffer of a whole state${hint}`);
    }
    if (state0 instanceof Float32Array) {
      checkStateLength('forward: state0', state0.length, sim.stateBytes);
      checkStateFinite('forward: state0', state0, sim.state, sim.batch);
    } else checkStateBuffer('forward: state0', state0, sim.stateBytes, 'sim.createState');
    this.keptNow = keep;
    this.consumed = false;
    for (const t of keep) if (!this.keptStates.has(t)) this.keptStates.set(t, sim.createState(`kept${t}`));
    // Nothing from an earlier rollout stays valid: the recompute must not take a slot that happens
    // to hold the same step number of the last forward for this one's.
    for (const s of this.slots) s.holds = -1;
    this.paramVersion = sim.paramVersion;
    const s0 = this.slots[0];
    if (state0 instanceof Float32Array) writeBuffer(sim.device, s0.buf, state0);
    else {
      const e = sim.device.createCommandEncoder();
      e.copyBufferToBuffer(state0, 0, s0.buf, 0, sim.stateBytes);
      sim.device.queue.submit([e.finish()]);
    }
    s0.holds = 0;
    sim.resetStatus();
    const { starts } = this.schedule;
    let cur = s0;
    let seg = 0;
    const order = sim.itemOrder;
    const copyAside = (enc: GPUCommandEncoder, t: number, from: GPUBuffer, to = this.keptStates.get(t)!) => {
      if (!order || order.isUserOrder(t)) return enc.copyBufferToBuffer(from, 0, to, 0, sim.stateBytes);
      const p = enc.beginComputePass(this.passDesc('rollout.to_user'));
      order.encodeToUser(p, from, to, t);
      p.end();
    };
    if (this.reorders && !this.finalUser) this.finalUser = { buf: sim.createState('final'), holds: -1 };
    if (this.finalUser) this.finalUser.holds = -1;
    let inFlight = 0; // steps submitted since the last wait
    for (let t0 = 0; t0 < this.steps; t0 += this.stepsPerSubmit) {
      const enc = sim.device.createCommandEncoder({ label: 'rollout.forward' });
      if (t0 === 0 && keep.has(0)) copyAside(enc, 0, s0.buf);
      let pass = enc.beginComputePass(this.passDesc('rollout.forward'));
      for (let t = t0; t < Math.min(this.steps, t0 + this.stepsPerSubmit); t++) {
        if (t === starts[seg + 1]) seg++;
        const out = this.forwardSlot(seg, t + 1);
        sim.encodeStep(pass, cur.buf, out.buf, t);
        out.holds = t + 1;
        cur = out;
        if (keep.has(t + 1)) {
          pass.end();
          copyAside(enc, t + 1, out.buf);
          pass = enc.beginComputePass(this.passDesc('rollout.forward'));
        }
      }
      pass.end();
      if (this.finalUser && t0 + this.stepsPerSubmit >= this.steps) {
        copyAside(enc, this.steps, cur.buf, this.finalUser.buf);
        this.finalUser.holds = this.steps;
      }
      this.submit(enc, { steps: Math.min(this.steps, t0 + this.stepsPerSubmit) - t0, adjoints: 0 });
      inFlight += Math.min(this.steps, t0 + this.stepsPerSubmit) - t0;
      if (inFlight >= this.stepsPerWait) { await this.queue.idle(); inFlight = 0; }
    }
    this.stepMark = sim.stepsEncoded;
    await this.queue.idle();
    const status = (await sim.readStatus()) as StatusOf<S>;
    if (status.badStep !== null) throw new RolloutError(sim.blowUpMessage(status), status.badStep);
    return status;
  }

  /**
   * The state before step t, for the step adjoint of t to do the local adjoint of t - 1 (see
   * backward): inside segment k, or at its start when the segment before is one step long (its
   * checkpoint is that state); null where the tape does not hold it then.
   */
  private prevSlot(k: number, t: number): Slot | null {
    const c = this.schedule.starts[k];
    const s = t > c ? this.slotFor(k, t - 1) : k > 0 ? this.slots[k - 1] : null;
    return s && s.holds === t - 1 ? s : null;
  }

  /** State t as the last forward kept it aside (its `keep` option). */
  kept(t: number): GPUBuffer {
    this.checkLive('kept');
    const b = this.keptNow.has(t) ? this.keptStates.get(t) : undefined;
    if (!b) throw new Error(`tape: step ${t} was not kept; pass it in forward's keep option`);
    return b;
  }

  /**
   * The state buffer holding step t, if the tape still has it in the user's order (a simulator
   * that reorders its items holds later states in its own: null; use final or keep).
   */
  stateAt(t: number): GPUBuffer | null {
    if (this.sim.itemOrder && !this.sim.itemOrder.isUserOrder(t)) return null;
    return this.slots.find((s) => s.holds === t)?.buf ?? null;
  }

  private gradBuffers(): GPUBuffer[] {
    if (!this.grads.length) this.grads.push(this.sim.createState('grad0'), this.sim.createState('grad1'));
    return this.grads;
  }

  /**
   * Backward from gFinal = dL/d(state at T). Returns the buffer holding dL/d(state at 0);
   * dL/d(controls) (the simulator's parameter space) is in sim.paramGrad. With `window`, only the
   * last `window` steps are reversed (truncated backpropagation through time, against gradients
   * that explode over long chaotic rollouts) and the buffer holds dL/d(state at T - window), in the
   * user's order as every state handed out.
   */
  async backward(gFinal: GPUBuffer, o: BackwardOptions = {}): Promise<GPUBuffer> {
    const sim = this.sim;
    this.checkLive('backward');
    if (sim.paramVersion !== this.paramVersion) {
      throw new Error(this.paramVersion < 0
        ? 'tape: backward before forward'
        : 'tape: the controls (sim.writeParams) were written since the forward; run forward again');
    }
    const what = 'dL/d(state), made by sim.createState';
    checkStateBuffer('backward: gFinal', gFinal, sim.stateBytes, what);
    for (const [t, g] of o.inject ?? []) checkStateBuffer(`backward: inject at step ${t}`, g, sim.stateBytes, what);
    // checked before the tape is marked used: a refused backward can be called again, corrected
    for (const t of o.inject?.keys() ?? []) if (!(Number.isInteger(t) && t >= 0 && t < this.steps)) throw new RangeError(`inject: step ${t}: allowed integers in [0, ${this.steps - 1}] (step ${this.steps}'s gradient is gFinal)`);
    const w = o.window;
    if (w !== undefined && !(Number.isInteger(w) && w >= 1)) throw new RangeError(`window = ${w}: allowed an integer >= 1`);
    if (this.consumed) {
      throw new Error('tape: a checkpointed backward recomputes states into the slots of the checkpoints it has used, so it runs once per forward: run forward again (a full tape, checkpoint \'full\', can be reversed again)');
    }
    if (sim.stepsEncoded !== this.stepMark) {
      throw new Error(`tape: the simulator ran ${sim.stepsEncoded - this.stepMark} steps of other work (another rollout, recordFrames, a viewer) since this rollout's forward, and a step keeps records its adjoint reads; run forward again`);
    }
    const [gA, gB] = this.gradBuffers();
    this.consumed = !this.full;
    const dev = sim.device;
    const inject = o.inject ?? new Map<number, GPUBuffer>();
    const add = inject.size ? await this.addKernel() : null;
    let enc = dev.createCommandEncoder({ label: 'rollout.backward' });
    sim.clearAdjoint(enc);
    // dL/d(state) comes in the user's order; the tape's states may be in the simulator's
    const order = sim.itemOrder;
    if (!order || order.isUserOrder(this.steps)) enc.copyBufferToBuffer(gFinal, 0, gA, 0, sim.stateBytes);
    else {
      const p = enc.beginComputePass(this.passDesc('rollout.from_user'));
      order.encodeFromUser(p, gFinal, gA, this.steps);
      p.end();
    }
    if (order && [...inject.keys()].some((t) => !order.isUserOrder(t))) this.injectScratch ??= sim.createState('inject');
    let gOut = gA;
    let gIn = gB;
    let encoded = 0;
    let steps = 0; // forward and adjoint steps encoded since the last submit, for the pacer
    let adjoints = 0;
    let inFlight = 0; // forward and adjoint steps submitted since the last wait
    const { starts, lengths } = this.schedule;
    let hint: unknown;
    // Truncated backpropagation: only the last `window` steps are reversed (the returned buffer is
    // then dL/d(state at T - window), and block sums such as a material's collect those steps only).
    const lo = w === undefined ? 0 : Math.max(0, this.steps - w);
    for (let k = starts.length - 1; k >= 0; k--) {
      const c = starts[k];
      const L = lengths[k];
      if (c + L <= lo) break;
      for (const t of [c, c + L]) {
        const s = this.slotFor(k, t);
        if (s.holds !== t) throw new Error(`tape: segment ${k} needs step ${t}, its slot holds step ${s.holds}`);
      }
      // Recompute the segment's inner states into the slots freed by later checkpoints.
      let pass = enc.beginComputePass(this.passDesc('rollout.recompute'));
      for (let t = c + 1; t < c + L; t++) {
        const dst = this.slotFor(k, t);
        if (dst.holds === t) continue; // the full tape, or the forward's, not overwritten since
        sim.encodeStep(pass, this.slotFor(k, t - 1).buf, dst.buf, t - 1);
        this.stepMark++;
        dst.holds = t;
        steps++;
      }
      pass.end();
      pass = enc.beginComputePass(this.passDesc('rollout.adjoint'));
      // Each step adjoint gets the state before its step where the tape holds it, and the hint the
      // adjoint after it returned, even across a segment boundary: the recompute between runs
      // forward steps only, which leave the adjoint's buffers alone (MPM fuses work through it).
      for (let t = c + L - 1; t >= Math.max(c, lo); t--) {
        const sIn = this.slotFor(k, t);
        const sOut = this.slotFor(k, t + 1);
        // the window's first step shares no work with the step before it, which is not reversed;
        // nor does a step whose result gets a loss's gradient added (the fused work would miss it)
        const sPrev = (t === lo && lo > 0) || inject.has(t) ? null : this.prevSlot(k, t);
        if (sIn.holds !== t || sOut.holds !== t + 1) {
          throw new Error(`tape: the adjoint of step ${t} would read buffers holding steps ${sIn.holds} and ${sOut.holds}`);
        }
        hint = sim.encodeStepAdjoint(pass, { sIn: sIn.buf, sOut: sOut.buf, gOut, gIn, step: t, sPrev: sPrev?.buf ?? null }, hint);
        [gOut, gIn] = [gIn, gOut];
        adjoints++;
        const g = inject.get(t);
        if (g && (!order || order.isUserOrder(t))) this.encodeAdd(pass, add!, g, gOut);
        else if (g) {
          order!.encodeFromUser(pass, g, this.injectScratch!, t);
          this.encodeAdd(pass, add!, this.injectScratch!, gOut);
        }
        if (o.inspect) {
          pass.end();
          this.submit(enc, { steps, adjoints });
          steps = adjoints = 0;
          await this.queue.idle();
          if (await o.inspect(t, gOut)) return gOut;
          enc = dev.createCommandEncoder({ label: 'rollout.backward' });
          pass = enc.beginComputePass(this.passDesc('rollout.adjoint'));
        } else if (++encoded % this.stepsPerSubmit === 0) {
          pass.end();
          this.submit(enc, { steps, adjoints });
          inFlight += steps + adjoints;
          steps = adjoints = 0;
          if (inFlight >= this.stepsPerWait) { await this.queue.idle(); inFlight = 0; }
          enc = dev.createCommandEncoder({ label: 'rollout.backward' });
          pass = enc.beginComputePass(this.passDesc('rollout.adjoint'));
        }
      }
      pass.end();
    }
    const pass = enc.beginComputePass(this.passDesc('rollout.param_grads'));
    sim.encodeFinishAdjoint(pass);
    // a window ends at state lo, which a sorting simulator may hold in its own order (step 0's
    // adjoint unsorts itself; no other step's does): hand it out in the user's, as kept(lo) is
    if (order && !order.isUserOrder(lo)) {
      order.encodeToUser(pass, gOut, gIn, lo);
      [gOut, gIn] = [gIn, gOut];
    }
    pass.end();
    this.submit(enc, { steps, adjoints });
    // callers read the gradient next: wait here
    await this.queue.idle();
    return gOut;
  }

  /** dst += src over a whole state buffer: a loss's gradient of an observed step joins dL/d(state). */
  private addKernel(): Promise<ComputeKernel> {
    const code = `@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 64u;
  if (i < arrayLength(&dst)) { dst[i] += src[i]; }
}`;
    return this.sim.cache.computeAsync('rollout.add', code, ['read', 'rw']);
  }

  private encodeAdd(pass: GPUComputePassEncoder, k: ComputeKernel, src: GPUBuffer, dst: GPUBuffer): void {
    const groups = Math.ceil(this.sim.stateBytes / 4 / 64);
    const x = Math.min(groups, 65535);
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.sim.cache.bindGroup('rollout.add.bind', k.layout, [src, dst]));
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  }

  private checkLive(what: string): void {
    if (this.destroyed) throw new Error(`tape: ${what} on a destroyed rollout (destroy()); create another`);
    if (this.sim.gpu?.destroyed) throw new Error(`tape: ${what} on a destroyed device (gpu.destroy() was called); requestGpu() another and create the simulator again`);
  }

  destroy(): void {
    this.destroyed = true;
    for (const s of this.slots) s.buf.destroy();
    for (const g of this.grads) g.destroy();
    for (const b of this.keptStates.values()) b.destroy();
    this.finalUser?.buf.destroy();
    this.injectScratch?.destroy();
  }
}
