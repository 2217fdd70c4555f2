// Losses evaluated on the GPU for any Simulator (only the loss values are read back, never whole
// states): a loss reads the final state through the simulator's state layout and writes
// dL/d(final state), the input of Rollout.backward. Every kind but the weighted sum is a per-item
// loss (src/shaders/loss/common.wgsl): per-item terms, one deterministic segmented sum, a finish
// per copy and a gradient per item. A weighted sum runs its terms one after another into one
// gradient buffer. The float64 reference of every kind is loss-reference.ts.
import { composePlain } from '../shaders/compose';
import { lossShaders } from '../shaders/index';
import { createBuffer, readF32, writeBuffer } from '../gpu/buffers';
import type { ComputeKernel } from '../gpu/pipeline-cache';
import { Reducer } from '../gpu/reduce';
import { positionField, type Simulator } from './simulator';
import { checkLoss, lossItems } from './loss-checks';
import { sceneError, show } from './scene-error';

/** Squared distance of a group's centre of mass to `target` at the final step. */
export interface ComTargetLossDesc {
  kind: 'com-target';
  /** Index into groups (absent: group 0). */
  group?: number;
  /** The step whose state the loss reads (absent: the last): an observation along the way. */
  step?: number;
  /** Target position, one coordinate per axis. */
  target: number[];
}

/** Minus the distance a group's centre of mass travelled along an axis: minimising walks forward. */
export interface ComTravelLossDesc {
  kind: 'com-travel';
  /** Index into groups (absent: group 0). */
  group?: number;
  /** The step whose state the loss reads (absent: the last): an observation along the way. */
  step?: number;
  /** The axis travelled along (0: x, 1: y, 2: z). */
  axis: number;
  /** +1: forward along the axis, -1: backward. */
  direction: 1 | -1;
  /** The coordinate travel is measured from (absent: each copy's initial centre of mass). */
  origin?: number;
  /** Not used by this kind (com-target's field). */
  target?: never;
}

/**
 * Speed tracking: (v - s)², v the mean speed of a group's centre of mass along an axis over the
 * rollout, (c_T - c_0) / duration (c_0 each copy's initial centre of mass, duration the rollout's
 * T dt: createLoss's option), s the copy's commanded speed: `speed`, or entry `goal` of the goal
 * vector the copy's controller is given (the same number the MLP reads). The achieved v is reported.
 */
export interface ComSpeedLossDesc {
  kind: 'com-speed';
  /** Index into groups (absent: group 0). */
  group?: number;
  /** The axis of travel (0: x, 1: y, 2: z). */
  axis: number;
  /** The commanded speed of every copy, in length units per second (absent: from the controller's goal). */
  speed?: number;
  /** Which entry of each copy's controller goal is its commanded speed (default 0; not with speed). */
  goal?: number;
  /** Not used by this kind (com-target's field). */
  target?: never;
}

/** 1 minus the smooth mass fraction of a group's items inside a box; the exact fraction is reported. */
export interface RegionFractionLossDesc {
  kind: 'region-fraction';
  /** Index into groups (absent: group 0). */
  group?: number;
  /** The step whose state the loss reads (absent: the last): an observation along the way. */
  step?: number;
  /** The target region, an axis-aligned box: its lowest and highest corner. */
  target: {
    /** The box's lowest corner, one coordinate per axis. */
    min: number[];
    /** The box's highest corner, one coordinate per axis (each above min's). */
    max: number[];
  };
  /** Length over which an item counts from 0 to 1 as it enters the box (a sigmoid of the signed distance over it). */
  width: number;
}

/** Mean squared distance of items' positions to observed ones at the final step (imitation, system identification). */
export interface MatchPositionsLossDesc {
  kind: 'match-positions';
  /** The step whose state the loss reads (absent: the last): an observation along the way. */
  step?: number;
  /** Index into groups (absent: group 0); unused when items are listed. */
  group?: number;
  /** Item indices (particles or vertices, as the scene lists them); absent: every item of the group. */
  items?: number[];
  /** Observed positions, one per item (of items, or of the group), one coordinate per axis. */
  target: number[][];
}

/**
 * Mean squared distance between the two items of each pair at the final step: corners carried onto
 * the corners they are folded to, whatever those did meanwhile. The root of it is reported.
 */
export interface MatchPairsLossDesc {
  kind: 'match-pairs';
  /** The step whose state the loss reads (absent: the last): an observation along the way. */
  step?: number;
  /** [a, b] item indices (particles or vertices, as the scene lists them); every item in at most one pair. */
  pairs: number[][];
  /** Not used by this kind (com-target's field). */
  target?: never;
}

/**
 * A regularizer on the controls rather than the state: 'effort', the mean square of a control
 * block's entries over its rows and channels; 'smoothness', the mean square of their change from
 * one row to the next. Computed in float64 on the host, where open-loop controls live; their
 * gradient joins the rollout's control gradient (controlGradient). A block a controller writes
 * every step is not open-loop and is refused.
 */
export interface ControlLossDesc {
  kind: 'effort' | 'smoothness';
  /** The control block (a per-step block of the scene's parameter space; absent: 'actuation'). */
  block?: string;
  /** Not used by this kind (com-target's field). */
  target?: never;
}

/** A loss that may be a term of a weighted sum. */
export type TermLossDesc = ComTargetLossDesc | ComTravelLossDesc | ComSpeedLossDesc | RegionFractionLossDesc | MatchPositionsLossDesc | MatchPairsLossDesc | ControlLossDesc;

/** A term that reads the state (every kind but the control regularizers). */
export type StateLossDesc = Exclude<TermLossDesc, ControlLossDesc>;

export function isControlLoss(d: TermLossDesc): d is ControlLossDesc {
  return d.kind === 'effort' || d.kind === 'smoothness';
}

/** Sum of weight x loss over the terms. */
export interface WeightedSumLossDesc {
  kind: 'weighted-sum';
  /** The terms in order, each a loss (not itself a sum) and its weight. */
  terms: {
    /** The term's weight (any finite number; negative rewards the term). */
    weight: number;
    /** The term: a loss of any kind but a weighted sum. */
    loss: TermLossDesc;
  }[];
  /** Not used by this kind (com-target's field). */
  target?: never;
}

/** The objective a gradient is taken of, as a scene names it. */
export type LossDesc = TermLossDesc | WeightedSumLossDesc;

export interface LossValue {
  /** Per batch copy. */
  values: number[];
  /** Centre of mass per batch copy (DIM numbers each): of the loss's items (a weighted sum's first term). */
  com: number[][];
  /** Per copy, the metric a loss stands for: region-fraction's exact mass fraction inside, com-speed's achieved mean speed, match-pairs' root mean squared distance. */
  report?: number[];
  /** region-fraction: items inside the region, per copy. */
  counts?: number[];
  /** weighted-sum: each term's own value, unweighted, in order. */
  terms?: LossValue[];
}

export interface Loss {
  /** dL/d(final state) of the last evaluate, a state buffer. */
  readonly grad: GPUBuffer;
  /** Steps before the last whose states terms observe (their `step`), ascending: a rollout keeps them, and its backward adds gradAt(t) as it passes t. */
  readonly observed: number[];
  /** dL/d(state at an observed step t) of the last evaluate. */
  gradAt(t: number): GPUBuffer;
  /** dL/d(control record) of the control terms (effort, smoothness) at the last evaluate, packed like sim.paramValues; null without such terms. */
  controlGradient(): Float32Array | null;
  /** Evaluates the loss on the final `state` and, for terms with a step, on at(step) (every batch copy), writing the gradients. */
  evaluate(state: GPUBuffer, at?: (step: number) => GPUBuffer): Promise<LossValue>;
  destroy(): void;
}

export interface LossOptions {
  /** Seconds the rollout covers (its steps times dt): com-speed's mean speed is travel over it. */
  duration?: number;
  /** The rollout's steps T: terms with a `step` read that step's state (at most T). */
  steps?: number;
}

/** The step a term reads: its own, or the last. */
function termStep(desc: TermLossDesc, T: number | undefined): number | undefined {
  return 'step' in desc && desc.step !== undefined && desc.step !== T ? desc.step : undefined;
}

/** Checks desc (a SceneError naming the field) before any GPU work, then builds the loss. */
export async function createLoss(sim: Simulator, desc: LossDesc, o: LossOptions = {}): Promise<Loss> {
  checkLoss(desc, lossContext(sim));
  const speeds = desc.kind === 'weighted-sum' ? desc.terms.some((t) => t.loss.kind === 'com-speed') : desc.kind === 'com-speed';
  if (speeds && !(o.duration !== undefined && o.duration > 0)) throw new RangeError(`loss: com-speed needs the rollout's duration (createLoss's duration option, > 0), got ${o.duration}`);
  const terms = desc.kind === 'weighted-sum' ? desc.terms : [{ weight: 1, loss: desc }];
  terms.forEach((t, i) => {
    const s = 'step' in t.loss ? t.loss.step : undefined;
    const field = desc.kind === 'weighted-sum' ? `loss.terms[${i}].loss.step` : 'loss.step';
    if (s !== undefined && o.steps === undefined) throw new RangeError(`${field} = ${s}: a loss that observes a step needs the rollout's steps (createLoss's steps option)`);
    if (s !== undefined && s > o.steps!) throw new RangeError(`${field} = ${s} is past the rollout's last step: allowed integers in [0, ${o.steps}]`);
  });
  const observed = [...new Set(terms.map((t) => termStep(t.loss, o.steps)).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  terms.forEach((t, i) => { if (isControlLoss(t.loss)) controlBlock(sim, t.loss, desc.kind === 'weighted-sum' ? `loss.terms[${i}].loss` : 'loss'); });
  const grad = sim.createState('loss.grad');
  const grads = new Map(observed.map((s) => [s, sim.createState(`loss.grad${s}`)]));
  const reducer = new Reducer(sim.device, sim.cache);
  const parts: (ItemLoss | ControlTerm)[] = [];
  try {
    for (const t of terms) {
      if (isControlLoss(t.loss)) { parts.push(new ControlTerm(sim, t.loss, t.weight)); continue; }
      const s = termStep(t.loss, o.steps);
      parts.push(await ItemLoss.create(sim, t.loss, t.weight, s === undefined ? grad : grads.get(s)!, s, reducer, o));
    }
  } catch (e) {
    for (const p of parts) if (p instanceof ItemLoss) p.destroy();
    grad.destroy();
    for (const g of grads.values()) g.destroy();
    throw e;
  }
  return new GpuLoss(sim, desc.kind === 'weighted-sum', parts, grad, grads, reducer);
}

/** The block a control term reads, checked: it exists, has rows, and no controller writes it. */
function controlBlock(sim: Simulator, d: ControlLossDesc, field: string) {
  const name = d.block ?? 'actuation';
  const open = sim.params.blocks.filter((b) => b.rowLength > 0 && b.kind !== 'controller' && b.kind !== 'actuation');
  const controlled = sim.params.blocks.some((x) => x.kind === 'controller');
  if (!controlled) open.unshift(...sim.params.blocks.filter((b) => b.rowLength > 0 && b.kind === 'actuation'));
  const b = open.find((x) => x.name === name);
  // SceneErrors: the loss is the scene's, and the command line says so without a stack (exit 2)
  const allowed = open.map((x) => `'${x.name}'`).join(', ') || 'none';
  if (!b && controlled && name === 'actuation') {
    throw sceneError(`${field}.block`, show(name), `is written by the scene's controller every step, not open-loop: ${d.kind} applies to open-loop controls`, open.length ? `a block the controller does not write: ${allowed}` : `no ${d.kind} term in this scene (it has no open-loop per-step controls)`);
  }
  if (!b) throw sceneError(`${field}.block`, show(name), 'is not a per-step control block of this scene', allowed);
  return b;
}

/** A control regularizer, in float64 on the host (see ControlLossDesc). */
class ControlTerm {
  readonly step = undefined;
  private readonly block: ReturnType<typeof controlBlock>;

  constructor(readonly sim: Simulator, readonly desc: ControlLossDesc, readonly weight: number) {
    this.block = controlBlock(sim, desc, 'loss');
  }

  /** Per copy, the term's value from the control vector the GPU holds, and its packed gradient. */
  evaluate(): { values: number[]; grad: Float32Array } {
    const { indices, rowLength: w } = this.block;
    const rows = indices.length / w;
    const packed = new Float32Array(this.sim.paramValues.length);
    const values: number[] = [];
    for (let b = 0; b < this.sim.batch; b++) {
      const c = this.sim.params.values(b);
      const g = new Float64Array(c.length);
      let R = 0;
      if (this.desc.kind === 'effort') {
        const n = indices.length;
        for (const i of indices) { R += (c[i] * c[i]) / n; g[i] += (2 * c[i]) / n; }
      } else if (rows > 1) {
        const n = (rows - 1) * w;
        for (let t = 0; t + 1 < rows; t++) for (let k = 0; k < w; k++) {
          const i0 = indices[t * w + k], i1 = indices[(t + 1) * w + k], d = c[i1] - c[i0];
          R += (d * d) / n;
          g[i1] += (2 * d) / n;
          g[i0] -= (2 * d) / n;
        }
      }
      values.push(R);
      this.sim.params.pack(packed, b, g);
    }
    return { values, grad: packed };
  }
}
function lossContext(sim: Simulator) {
  return {
    dim: sim.dim,
    items: sim.state.items,
    groupSize: (g: number) => {
      try { return sim.selection(g).count; } catch { return undefined; }
    },
    goalLength: sim.goalOf?.(0).length ?? 0,
  };
}

const WG = 64;
const OUT = 8; // floats per copy in out (common.wgsl)

/** What a per-item loss kind hands to its kernels. */
interface ItemSetup {
  name: 'com' | 'region' | 'match' | 'pairs';
  /** Rows of sums per copy beyond the centre of mass's DIM + 1. */
  extraRows: number;
  items: Uint32Array;
  /** [count][4]: the item's mass, then the kind's per-item numbers. */
  itemData: Float32Array;
  /** [B][4]. */
  copyData: Float32Array;
  /** lp.a, lp.b, lp.c (4 floats each). */
  vectors: number[][];
  /** copyData as it is now, for kinds whose copy data follow the simulator (com-speed: the goals); evaluated before each evaluate. */
  copyDataNow?: () => Float32Array;
  /** com-speed: each copy's initial centre of mass along the axis (float64), what the achieved speed is measured from. */
  origin?: number[];
}

/** Copy b's commanded speed of a com-speed loss: its `speed`, or the entry of the copy's controller goal. */
export function commandedSpeed(sim: Pick<Simulator, 'goalOf'>, desc: ComSpeedLossDesc, b: number): number {
  return desc.speed ?? sim.goalOf!(b)[desc.goal ?? 0];
}

/** The state's initial centre of mass of the items, per copy (float64, from sim.state0). */
function initialCom(sim: Simulator, items: Uint32Array, weights: Float32Array): number[][] {
  const { stride, items: n } = sim.state;
  const xo = positionField(sim.state).offset;
  return Array.from({ length: sim.batch }, (_, b) => {
    const c = new Array<number>(sim.dim).fill(0);
    let W = 0;
    items.forEach((it, k) => {
      W += weights[k];
      for (let d = 0; d < sim.dim; d++) c[d] += weights[k] * sim.state0[(b * n + it) * stride + xo + d];
    });
    return c.map((x) => x / W);
  });
}

function setup(sim: Simulator, desc: StateLossDesc, o: LossOptions): ItemSetup {
  const { items, weights } = lossItems(desc, (g) => sim.selection(g));
  const count = items.length, B = sim.batch, dim = sim.dim;
  const itemData = new Float32Array(4 * count);
  weights.forEach((w, k) => { itemData[4 * k] = w; });
  const copyData = new Float32Array(4 * B);
  const vec = (x: number[] = []) => [0, 0, 0, 0].map((_, d) => x[d] ?? 0);
  switch (desc.kind) {
    case 'com-target':
      return { name: 'com', extraRows: 0, items, itemData, copyData, vectors: [vec(desc.target), vec([1, 1, 1]), vec()] };
    case 'com-travel': {
      const c0 = initialCom(sim, items, weights);
      for (let b = 0; b < B; b++) copyData[4 * b + desc.axis] = desc.origin ?? c0[b][desc.axis];
      const lin = vec();
      lin[desc.axis] = -desc.direction;
      return { name: 'com', extraRows: 0, items, itemData, copyData, vectors: [vec(), vec(), lin] };
    }
    case 'com-speed': {
      // (v - s)^2 = (c - (c0 + s D))^2 / D^2: com.wgsl's quadratic with g = c0 + s D per copy
      const c0 = initialCom(sim, items, weights), D = o.duration!, a = desc.axis;
      const quad = vec();
      quad[a] = 1 / (D * D);
      const copyDataNow = () => {
        const cd = new Float32Array(4 * B);
        for (let b = 0; b < B; b++) cd[4 * b + a] = c0[b][a] + commandedSpeed(sim, desc, b) * D;
        return cd;
      };
      return { name: 'com', extraRows: 0, items, itemData, copyData: copyDataNow(), vectors: [vec(), quad, vec()], copyDataNow, origin: c0.map((c) => c[a]) };
    }
    case 'region-fraction':
      return { name: 'region', extraRows: 3, items, itemData, copyData, vectors: [vec(desc.target.min), vec(desc.target.max), vec([desc.width])] };
    case 'match-positions':
      desc.target.forEach((y, k) => { for (let d = 0; d < dim; d++) itemData[4 * k + 1 + d] = y[d]; });
      return { name: 'match', extraRows: 1, items, itemData, copyData, vectors: [vec(), vec(), vec()] };
    case 'match-pairs': {
      const m = desc.pairs.length;
      for (let p = 0; p < m; p++) {
        itemData.set([itemData[4 * p], p + m, 1], 4 * p);
        itemData.set([itemData[4 * (p + m)], p, 0], 4 * (p + m));
      }
      return { name: 'pairs', extraRows: 1, items, itemData, copyData, vectors: [vec(), vec(), vec()] };
    }
  }
}

/** One per-item loss, scaled, adding its gradient into a shared buffer. */
class ItemLoss {
  private readonly buffers: GPUBuffer[];
  readonly out: GPUBuffer;
  private readonly count: number;
  private readonly rows: number;
  private kernels!: Record<'terms' | 'finish' | 'grad', ComputeKernel>;

  private constructor(readonly sim: Simulator, readonly setup: ItemSetup, readonly desc: StateLossDesc, readonly weight: number,
    readonly grad: GPUBuffer, readonly step: number | undefined, private readonly reducer: Reducer, private readonly o: LossOptions) {
    const { dim: d, batch: B, device: dev } = sim;
    const s = setup, L = `loss.${s.name}`;
    this.count = s.items.length;
    this.rows = d + 1 + s.extraRows;
    const u = new ArrayBuffer(80);
    new Uint32Array(u).set([sim.state.items, B, this.count, sim.state.stride, positionField(sim.state).offset]);
    new Float32Array(u).set([weight], 5);
    new Float32Array(u).set(s.vectors.flat(), 8);
    const f4 = (n: number) => Math.max(4, n * 4);
    this.out = createBuffer(dev, `${L}.out`, B * OUT * 4);
    this.buffers = [
      createBuffer(dev, `${L}.params`, 80, 0x40 | 0x08, u),
      createBuffer(dev, `${L}.items`, f4(this.count), undefined, s.items),
      createBuffer(dev, `${L}.item_data`, f4(s.itemData.length), undefined, s.itemData),
      createBuffer(dev, `${L}.copy_data`, f4(s.copyData.length), undefined, s.copyData),
      createBuffer(dev, `${L}.terms`, f4(B * this.rows * this.count)),
      createBuffer(dev, `${L}.sums`, f4(B * this.rows)),
    ];
  }

  static async create(sim: Simulator, desc: StateLossDesc, scale: number, grad: GPUBuffer, step: number | undefined, reducer: Reducer, o: LossOptions): Promise<ItemLoss> {
    const l = new ItemLoss(sim, setup(sim, desc, o), desc, scale, grad, step, reducer, o);
    const code = composePlain(sim.dim, `const ROWS: u32 = ${l.rows}u;\n${lossShaders.common}\n${lossShaders[l.setup.name]}`);
    const kinds = ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw', 'rw', 'rw'] as const;
    const k = (entry: string) => sim.cache.computeAsync(`loss.${l.setup.name}.${sim.dim}d.r${l.rows}.${entry}`, code, [...kinds], entry);
    l.kernels = { terms: await k('terms_main'), finish: await k('finish'), grad: await k('grad') };
    return l;
  }

  /** Writes the copy data again where they follow the simulator (com-speed's goals, which setGoals may have changed). */
  refresh(): void {
    const now = this.setup.copyDataNow?.();
    if (!now || now.every((x, i) => Object.is(x, this.setup.copyData[i]))) return;
    this.setup.copyData = now;
    writeBuffer(this.sim.device, this.buffers[3], now);
  }

  /** Records the loss of `state` into out and adds scale dL/dstate into grad. */
  encode(enc: GPUCommandEncoder, state: GPUBuffer): void {
    const [params, items, itemData, copyData, terms, sums] = this.buffers;
    const bound = [params, items, itemData, copyData, state, terms, sums, this.out, this.grad];
    const label = `loss.${this.setup.name}`;
    const run = (k: ComputeKernel, threads: number) => {
      const pass = enc.beginComputePass({ label });
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, this.sim.cache.bindGroup(`${label}.bind`, k.layout, bound));
      pass.dispatchWorkgroups(Math.ceil(threads / WG));
      pass.end();
    };
    const B = this.sim.batch;
    run(this.kernels.terms, this.count * B);
    const segments = Array.from({ length: B * this.rows }, (_, s) => ({ offset: s * this.count, count: this.count }));
    this.reducer.encodeSegmentedSum(enc, terms, segments, sums);
    run(this.kernels.finish, B);
    run(this.kernels.grad, this.count * B);
  }

  /** The value of the loss from its out record (unscaled). */
  value(o: Float32Array): LossValue {
    const { batch: B, dim: d } = this.sim;
    const at = (b: number, i: number) => o[b * OUT + i];
    const copies = Array.from({ length: B }, (_, b) => b);
    const v: LossValue = {
      values: copies.map((b) => at(b, 0)),
      com: copies.map((b) => Array.from(o.subarray(b * OUT + 1, b * OUT + 1 + d))),
    };
    if (this.desc.kind === 'region-fraction') {
      v.report = copies.map((b) => at(b, 5));
      v.counts = copies.map((b) => at(b, 6));
    }
    if (this.desc.kind === 'match-pairs') v.report = copies.map((b) => at(b, 5));
    if (this.desc.kind === 'com-speed') {
      const a = this.desc.axis, D = this.o.duration!, c0 = this.setup.origin!;
      v.report = copies.map((b) => (v.com[b][a] - c0[b]) / D);
    }
    return v;
  }

  destroy(): void {
    for (const b of [...this.buffers, this.out]) b.destroy();
  }
}

class GpuLoss implements Loss {
  private readonly readback: GPUBuffer;

  readonly observed: number[];

  private controlGrad: Float32Array | null = null;

  constructor(readonly sim: Simulator, private readonly isSum: boolean, private readonly parts: (ItemLoss | ControlTerm)[],
    readonly grad: GPUBuffer, private readonly grads: Map<number, GPUBuffer>, private readonly reducer: Reducer) {
    this.readback = createBuffer(sim.device, 'loss.readback', Math.max(1, parts.length) * sim.batch * OUT * 4);
    this.observed = [...grads.keys()];
  }

  controlGradient(): Float32Array | null {
    return this.controlGrad;
  }

  gradAt(t: number): GPUBuffer {
    const g = this.grads.get(t);
    if (!g) throw new RangeError(`loss: no term observes step ${t} (observed: ${this.observed.join(', ') || 'none'})`);
    return g;
  }

  async evaluate(state: GPUBuffer, at?: (step: number) => GPUBuffer): Promise<LossValue> {
    const dev = this.sim.device, bytes = this.sim.batch * OUT * 4;
    if (this.observed.length && !at) throw new Error(`loss: terms observe steps ${this.observed.join(', ')}: evaluate needs their states (at)`);
    const enc = dev.createCommandEncoder({ label: 'loss' });
    enc.clearBuffer(this.grad);
    for (const g of this.grads.values()) enc.clearBuffer(g);
    this.parts.forEach((p, i) => {
      if (!(p instanceof ItemLoss)) return;
      p.refresh();
      p.encode(enc, p.step === undefined ? state : at!(p.step));
      enc.copyBufferToBuffer(p.out, 0, this.readback, i * bytes, bytes);
    });
    dev.queue.submit([enc.finish()]);
    const o = await readF32(dev, this.readback);
    // the control terms: values per copy and one packed gradient, weighted
    let cg: Float32Array | null = null;
    const terms = this.parts.map((p, i): LossValue => {
      if (p instanceof ItemLoss) return p.value(o.subarray(i * bytes / 4, (i + 1) * bytes / 4));
      const r = p.evaluate();
      cg ??= new Float32Array(r.grad.length);
      for (let k = 0; k < cg.length; k++) cg[k] += p.weight * r.grad[k];
      return { values: r.values, com: r.values.map(() => new Array<number>(this.sim.dim).fill(0)) };
    });
    this.controlGrad = cg;
    if (!this.isSum) return terms[0];
    const first = this.parts.findIndex((p) => p instanceof ItemLoss);
    const values = terms[0].values.map((_, b) => terms.reduce((s, t, i) => s + this.parts[i].weight * t.values[b], 0));
    return { values, com: terms[Math.max(0, first)].com, terms };
  }

  destroy(): void {
    for (const p of this.parts) if (p instanceof ItemLoss) p.destroy();
    this.grad.destroy();
    for (const g of this.grads.values()) g.destroy();
    this.readback.destroy();
    this.reducer.destroy();
  }
}
