// A blow-up's likely causes when it is not the materials: a gripper whose track jumps further in one
// step than the rest length of an edge at a vertex it holds (the held vertex is moved that far at
// once and its neighbours, integrated explicitly, cannot follow), or a gravity under which a falling
// vertex covers that much in a step and lands as hard. Only run after a blow-up.
import type { ParamSpace } from '../core/simulator';
import type { SpringScene } from './scene';
import { fmt } from '../core/scene-error';

/** Jumps past this fraction of the shortest edge at a held vertex are named. */
const JUMP_FRACTION = 0.5;

/** Shortest initial length of an edge (spring or triangle side) between a vertex held by `held` and one it does not hold; of any edge without `held`. */
export function shortestEdge(s: SpringScene, held?: Set<number>): number {
  const x = s.vertices.x, d = s.dim;
  let shortest = Infinity;
  const edge = (i: number, j: number) => {
    if (held && held.has(i) === held.has(j)) return;
    let r2 = 0;
    for (let a = 0; a < d; a++) r2 += (x[i * d + a] - x[j * d + a]) ** 2;
    shortest = Math.min(shortest, Math.sqrt(r2));
  };
  const p = s.springs?.pairs ?? [];
  for (let k = 0; k < p.length; k += 2) edge(p[k], p[k + 1]);
  const t = s.triangles?.indices ?? [];
  for (let k = 0; k < t.length; k += 3) { edge(t[k], t[k + 1]); edge(t[k + 1], t[k + 2]); edge(t[k + 2], t[k]); }
  return shortest;
}

/** Jumps past this fraction are named beside the stiffness, as a possible cause. */
export const JUMP_HINT_FRACTION = 0.25;

/**
 * The first gripper (over the batch copies) whose track, as written in the control record, moves
 * more than `fraction` of the shortest edge at its vertices in one of steps 1..badStep, said for a
 * message; null if none does.
 */
export function fastGripper(s: SpringScene, params: ParamSpace, batch: number, badStep: number, fraction = JUMP_FRACTION): string | null {
  for (const [g, grip] of (s.grippers ?? []).entries()) {
    const block = params.blocks.find((b) => b.name === `grippers[${g}].position`);
    if (!block) continue;
    const edge = shortestEdge(s, new Set(grip.vertices));
    if (!Number.isFinite(edge)) continue;
    const d = block.rowLength, rows = block.indices.length / d;
    for (let b = 0; b < batch; b++) {
      const v = params.values(b);
      for (let t = 1; t <= Math.min(badStep, rows - 1); t++) {
        let r2 = 0;
        for (let a = 0; a < d; a++) r2 += (v[block.indices[t * d + a]] - v[block.indices[(t - 1) * d + a]]) ** 2;
        const jump = Math.sqrt(r2);
        if (jump > fraction * edge) {
          const share = fraction === 0.5 ? 'half' : `${fmt(fraction)} of`;
          return `grippers[${g}] "${grip.name}" moves ${fmt(jump)} in step ${t}${batch > 1 ? ` (copy ${b})` : ''}, more than ${share} the ${fmt(edge)} rest length of the shortest edge at a vertex it holds: a slower track`;
        }
      }
    }
  }
  return null;
}

/**
 * Gravity named as the cause where a vertex falling from rest, by step `badStep` or over the
 * scene's largest extent (whichever is less), moves further than the shortest edge in one step (a
 * cloth falling as a whole does not deform, so half an edge, the grippers' bound, would blame
 * gravity for fine meshes' stiffness); null otherwise.
 */
export function fastFall(s: SpringScene, badStep: number): string | null {
  const g = Math.hypot(...s.gravity);
  const v = Math.min(g * badStep * s.dt, Math.sqrt(2 * g * Math.max(...s.extent)));
  const edge = shortestEdge(s);
  if (!(v * s.dt > edge)) return null;
  return `gravity |g| = ${fmt(g)} brings a falling vertex to ${fmt(v)} m/s by step ${badStep}, ${fmt(v * s.dt)} a step, more than the ${fmt(edge)} rest length of the shortest edge: a smaller gravity (in m/s^2) or dt`;
}
