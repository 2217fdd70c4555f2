// The losses of loss.ts in float64 on the CPU, function for function with src/shaders/loss/: the
// oracle for the GPU losses' values and, by finite differences, their gradients.
import { isControlLoss, type LossDesc, type StateLossDesc } from './loss';
import { lossItems } from './loss-checks';

/** What the reference reads of a simulator: its layout, its initial state and its selections. */
export interface LossRefContext {
  dim: number;
  batch: number;
  /** Items per copy, floats per item record, offset of the position in a record. */
  items: number;
  stride: number;
  xoff: number;
  state0: ArrayLike<number>;
  selection(g?: number): { start: number; count: number; weights: Float32Array };
  /** com-speed: the rollout's duration in seconds, and copy b's controller goal (where no speed is given). */
  duration?: number;
  goalOf?(b: number): number[];
}

export interface LossRef {
  values: number[];
  report?: number[];
  counts?: number[];
  /** dL/dstate, laid out like the state. */
  grad: Float64Array;
}

/** L per copy, the exact metrics and dL/dstate of `state` (all copies). */
export function referenceLoss(desc: LossDesc, ctx: LossRefContext, state: ArrayLike<number>): LossRef {
  const terms = desc.kind === 'weighted-sum' ? desc.terms : [{ weight: 1, loss: desc }];
  const out: LossRef = { values: new Array<number>(ctx.batch).fill(0), grad: new Float64Array(state.length) };
  for (const t of terms) {
    // control terms (effort, smoothness) read no state: they are host float64 already
    if (isControlLoss(t.loss)) continue;
    const r = termLoss(t.loss, ctx, state);
    r.values.forEach((v, b) => { out.values[b] += t.weight * v; });
    r.grad.forEach((g, i) => { out.grad[i] += t.weight * g; });
    if (desc.kind !== 'weighted-sum') Object.assign(out, { report: r.report, counts: r.counts });
  }
  return out;
}

function termLoss(desc: StateLossDesc, ctx: LossRefContext, state: ArrayLike<number>): LossRef {
  const { dim, batch: B } = ctx;
  const { items, weights } = lossItems(desc, (g) => ctx.selection(g));
  const at = (b: number, k: number) => (b * ctx.items + items[k]) * ctx.stride + ctx.xoff;
  const pos = (s: ArrayLike<number>, b: number, k: number) => Array.from({ length: dim }, (_, d) => s[at(b, k) + d]);
  const W = weights.reduce((a, w) => a + w, 0);
  const com = (s: ArrayLike<number>, b: number) => {
    const c = new Array<number>(dim).fill(0);
    items.forEach((_, k) => pos(s, b, k).forEach((x, d) => { c[d] += (weights[k] * x) / W; }));
    return c;
  };
  const r: LossRef = { values: [], grad: new Float64Array(state.length) };
  const addGrad = (b: number, k: number, g: number[]) => g.forEach((x, d) => { r.grad[at(b, k) + d] += x; });
  for (let b = 0; b < B; b++) {
    if (desc.kind === 'com-target' || desc.kind === 'com-travel' || desc.kind === 'com-speed') {
      const c = com(state, b);
      let dLdc: number[];
      if (desc.kind === 'com-target') {
        r.values.push(c.reduce((a, x, d) => a + (x - desc.target[d]) ** 2, 0));
        dLdc = c.map((x, d) => 2 * (x - desc.target[d]));
      } else if (desc.kind === 'com-speed') {
        const a = desc.axis, D = ctx.duration!, s = desc.speed ?? ctx.goalOf!(b)[desc.goal ?? 0];
        const v = (c[a] - com(ctx.state0, b)[a]) / D;
        r.values.push((v - s) ** 2);
        (r.report ??= []).push(v);
        dLdc = c.map((_, d) => (d === a ? (2 * (v - s)) / D : 0));
      } else {
        const a = desc.axis, origin = desc.origin ?? com(ctx.state0, b)[a];
        r.values.push(-desc.direction * (c[a] - origin));
        dLdc = c.map((_, d) => (d === a ? -desc.direction : 0));
      }
      items.forEach((_, k) => addGrad(b, k, dLdc.map((g) => (g * weights[k]) / W)));
    } else if (desc.kind === 'region-fraction') {
      const { min, max } = desc.target, h = desc.width;
      let F = 0, exact = 0, count = 0;
      items.forEach((_, k) => {
        const x = pos(state, b, k);
        const { sd, dsd } = boxDistance(x, min, max);
        const s = 1 / (1 + Math.exp(sd / h));
        F += (weights[k] * s) / W;
        const inside = x.every((xd, d) => xd >= min[d] && xd <= max[d]);
        exact += inside ? weights[k] / W : 0;
        count += inside ? 1 : 0;
        addGrad(b, k, dsd.map((g) => ((weights[k] / W) * s * (1 - s) * g) / h));
      });
      r.values.push(1 - F);
      (r.report ??= []).push(exact);
      (r.counts ??= []).push(count);
    } else if (desc.kind === 'match-pairs') {
      const m = desc.pairs.length;
      let L = 0;
      for (let p = 0; p < m; p++) {
        const e = pos(state, b, p).map((x, d) => x - pos(state, b, p + m)[d]);
        L += e.reduce((a, x) => a + x * x, 0) / m;
        addGrad(b, p, e.map((x) => (2 * x) / m));
        addGrad(b, p + m, e.map((x) => (-2 * x) / m));
      }
      r.values.push(L);
      (r.report ??= []).push(Math.sqrt(L));
    } else {
      const n = items.length;
      let L = 0;
      items.forEach((_, k) => {
        const e = pos(state, b, k).map((x, d) => x - desc.target[k][d]);
        L += e.reduce((a, x) => a + x * x, 0) / n;
        addGrad(b, k, e.map((x) => (2 * x) / n));
      });
      r.values.push(L);
    }
  }
  return r;
}

/** Signed distance to the box [min, max] and its gradient (region.wgsl's box_distance). */
export function boxDistance(x: number[], min: number[], max: number[]): { sd: number; dsd: number[] } {
  const q = x.map((xd, d) => Math.abs(xd - (min[d] + max[d]) / 2) - (max[d] - min[d]) / 2);
  const sgn = x.map((xd, d) => (xd >= (min[d] + max[d]) / 2 ? 1 : -1));
  let e = 0;
  q.forEach((qd, d) => { if (qd > q[e]) e = d; });
  if (q[e] > 0) {
    const len = Math.hypot(...q.map((qd) => Math.max(qd, 0)));
    return { sd: len, dsd: q.map((qd, d) => (Math.max(qd, 0) / len) * sgn[d]) };
  }
  return { sd: q[e], dsd: q.map((_, d) => (d === e ? sgn[e] : 0)) };
}
