// A scene with the position and velocity tracks of its colliders and grippers set to the rows of a
// control vector: what an optimized point's bodies do, as scene data. The page draws a replay's
// bodies from its scene's tracks, so the best point's replay needs its own tracks, not the start's.
import type { ParamSpace } from '../core/simulator';
import type { Scene } from '../simulators';

const TRACK = /^(colliders|grippers)\[(\d+)\]\.(position|velocity)$/;

/** `scene` (a copy; the input is untouched) with every collider and gripper position and velocity track read from `values` (one copy's control vector of `params`). */
export function withTracks(scene: Scene, params: ParamSpace, values: ArrayLike<number>): Scene {
  const out = structuredClone(scene) as Scene & { colliders?: Record<string, unknown>[]; grippers?: Record<string, unknown>[] };
  for (const b of params.blocks) {
    const m = b.kind === 'track' ? TRACK.exec(b.name) : null;
    const body = m ? out[m[1] as 'colliders' | 'grippers']?.[Number(m[2])] : undefined;
    if (!m || !body || !(m[3] in body) || b.rowLength === 0) continue;
    const rows: number[][] = [];
    for (let o = 0; o < b.indices.length; o += b.rowLength) rows.push(Array.from(b.indices.subarray(o, o + b.rowLength), (i) => values[i]));
    body[m[3]] = rows;
  }
  return out;
}
