// The rules of a loss that relate it to its scene (group indices, item indices, counts, the box's
// corners), for people: a SceneError naming the field, the value and what is allowed. The shape of
// a loss (kinds, types, ranges, per-axis lengths) is lossSchema's (src/mpm/schema.ts); checkLoss
// runs both, for createLoss, before any GPU work. Scene validators run the schema with the scene
// and call checkLossRules.
import { checkSchema, lossSchema } from '../mpm/schema';
import { sceneError, show } from './scene-error';
import { isControlLoss, type ControlLossDesc, type LossDesc, type StateLossDesc, type TermLossDesc } from './loss';

/** What the rules need to know of the scene. */
export interface LossContext {
  dim: 2 | 3;
  /** Items (particles or vertices) per batch copy. */
  items: number;
  /** Groups the scene has, where known (what an error says is allowed). */
  groups?: number;
  /** Items in group g, or undefined when there is no such group. */
  groupSize(g: number): number | undefined;
  /** Length of the goal vector the scene's controller is commanded (0 or absent: no controller with a 'goal' input). */
  goalLength?: number;
  /** The scene's steps, where known: a term's `step` is at most this. */
  steps?: number;
  /** The per-step open-loop control blocks effort and smoothness may read (controlBlockNames), where known. */
  controlBlocks?: string[];
  /** Whether a controller writes the actuation every step. */
  controlled?: boolean;
}

/** The per-step open-loop control blocks among a scene's parameter names: its actuation, collider and gripper tracks. */
export function controlBlockNames(paramNames: string[]): string[] {
  return paramNames.filter((n) => n === 'actuation' || /^(colliders|grippers)\[\d+\]\.(position|velocity|orientation|angularVelocity)$/.test(n));
}

/** Checks a loss's shape and its rules; `field` is where it sits in a scene. */
export function checkLoss(desc: LossDesc, ctx: LossContext, field = 'loss'): void {
  checkSchema(lossSchema({ dim: ctx.dim, n: ctx.items }), desc, field);
  checkLossRules(desc, ctx, field);
}

/** The rules across fields, for a loss whose shape lossSchema has passed. */
export function checkLossRules(desc: LossDesc, ctx: LossContext, field = 'loss'): void {
  if (desc.kind === 'weighted-sum') {
    desc.terms.forEach((t, i) => checkTerm(t.loss, ctx, `${field}.terms[${i}].loss`));
  } else {
    checkTerm(desc, ctx, field);
  }
}

function checkTerm(desc: TermLossDesc, ctx: LossContext, f: string): void {
  if (isControlLoss(desc)) {
    // where the scene's blocks are not known here, createLoss checks against the simulator's
    if (ctx.controlBlocks) checkControlBlock(desc, ctx.controlBlocks, !!ctx.controlled, f);
    return;
  }
  if ('step' in desc && desc.step !== undefined && ctx.steps !== undefined && desc.step > ctx.steps) {
    throw sceneError(`${f}.step`, show(desc.step), "is past the scene's last step", `integers in [0, ${ctx.steps}]`);
  }
  if (desc.kind === 'match-pairs') {
    const seen = new Set<number>();
    desc.pairs.forEach((pair, p) => pair.forEach((it, k) => {
      if (it >= ctx.items) throw sceneError(`${f}.pairs[${p}][${k}]`, show(it), 'is not an item', `integers in [0, ${ctx.items - 1}]`);
      if (seen.has(it)) throw sceneError(`${f}.pairs[${p}][${k}]`, show(it), 'is listed twice', 'each item in at most one pair, once');
      seen.add(it);
    }));
    return;
  }
  const listed = desc.kind === 'match-positions' && desc.items !== undefined;
  const size = listed ? undefined : checkGroup(desc.group, ctx, f);
  if (desc.kind === 'region-fraction') {
    const { min, max } = desc.target;
    min.forEach((lo, d) => {
      if (!(lo < max[d])) throw sceneError(`${f}.target.max[${d}]`, show(max[d]), 'is not above target.min', `> ${lo}`);
    });
  }
  if (desc.kind === 'com-speed') {
    const n = ctx.goalLength ?? 0;
    if (desc.speed !== undefined && desc.goal !== undefined) {
      throw sceneError(`${f}.goal`, show(desc.goal), 'is set with speed', 'one of speed (the same commanded speed for every copy) or goal (an entry of the controller\'s goal)');
    }
    if (desc.speed === undefined && n === 0) {
      throw sceneError(`${f}.speed`, undefined, 'is missing', "a commanded speed, or a controller with a 'goal' input to take each copy's from");
    }
    if (desc.speed === undefined && (desc.goal ?? 0) >= n) {
      throw sceneError(`${f}.goal`, show(desc.goal ?? 0), 'is not an entry of the controller\'s goal', `integers in [0, ${n - 1}]`);
    }
  }
  if (desc.kind === 'match-positions') {
    const n = desc.items?.length ?? size!;
    const seen = new Set<number>();
    desc.items?.forEach((it, k) => {
      if (it >= ctx.items) throw sceneError(`${f}.items[${k}]`, show(it), 'is not an item', `integers in [0, ${ctx.items - 1}]`);
      if (seen.has(it)) throw sceneError(`${f}.items[${k}]`, show(it), 'is listed twice', 'each item at most once');
      seen.add(it);
    });
    if (desc.target.length !== n) {
      const why = listed ? 'one per listed item (items.length)' : `one per item of group ${desc.group ?? 0}`;
      throw sceneError(`${f}.target`, show(desc.target), 'has the wrong length', `exactly ${n} positions (${why})`);
    }
  }
}

/** The size of the loss's group; an error when it has none or no items. */
function checkGroup(group: number | undefined, ctx: LossContext, f: string): number {
  const g = group ?? 0;
  const size = ctx.groupSize(g);
  const allowed = ctx.groups === undefined ? 'a group of the scene' : `integers in [0, ${ctx.groups - 1}]`;
  if (size === undefined) throw sceneError(`${f}.group`, show(group), 'is not a group', allowed);
  if (size === 0) throw sceneError(`${f}.group`, show(group), 'has no items', 'a group with at least one item');
  return size;
}

/**
 * The items a term reads (indices into a copy's items) and their masses, from a simulator's
 * selection (src/core/simulator.ts).
 */
export function lossItems(desc: StateLossDesc, selection: (g?: number) => { start: number; count: number; weights: Float32Array }): { items: Uint32Array; weights: Float32Array } {
  const listed = desc.kind === 'match-positions' ? desc.items : desc.kind === 'match-pairs' ? [...desc.pairs.map((p) => p[0]), ...desc.pairs.map((p) => p[1])] : undefined;
  if (listed) {
    const all = selection();
    return { items: Uint32Array.from(listed), weights: Float32Array.from(listed, (it) => all.weights[it - all.start]) };
  }
  const s = selection('group' in desc ? desc.group ?? 0 : 0);
  return { items: Uint32Array.from({ length: s.count }, (_, k) => s.start + k), weights: s.weights };
}

function checkControlBlock(desc: ControlLossDesc, blocks: string[], controlled: boolean, f: string): void {
  const name = desc.block ?? 'actuation';
  if (blocks.includes(name)) return;
  const value = desc.block === undefined ? `${show(name)} (the default)` : show(name);
  const allowed = blocks.length > 0 ? `one of ${blocks.map((b) => show(b)).join(', ')}` : 'none: the scene has no actuation, collider or gripper tracks for it to read (add one, or drop the term)';
  if (controlled && name === 'actuation') {
    throw sceneError(`${f}.block`, value, `is written by the scene's controller every step: ${desc.kind} applies to open-loop controls`, allowed);
  }
  throw sceneError(`${f}.block`, value, 'is not a per-step control block of this scene', allowed);
}
