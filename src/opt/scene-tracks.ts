// The position and velocity tracks of a scene's colliders and grippers read from a control vector
// (what an optimized point's bodies do), and a scene with such tracks written in. Views draw the
// bodies of a replay from its scene's tracks, so the best point's replay needs its own tracks, not
// the start's: `torsion optimize` writes them in replay.json (`tracks`) beside the start's
// scene.json (which --resume reads), and the page writes them into the replay's scene. (The page's
// Optimize hands its replay the whole tuned scene: tuned-scene.ts.)
import type { ParamSpace, Simulator } from '../core/simulator';
import type { Scene } from '../simulators';
import { readF32 } from '../gpu/buffers';
import { ControlledSim } from '../control/controlled-sim';

/** Track rows by block name: 'colliders[0].position', 'grippers[1].velocity', ... */
export type BodyTracks = Record<string, number[][]>;

/** The names bodyTracks gives: a collider's or gripper's position or velocity track. */
export const BODY_TRACK = /^(colliders|grippers)\[(\d+)\]\.(position|velocity)$/;

/**
 * Every collider and gripper position and velocity track of `params`, and the open-loop actuation
 * rows ('actuation': what the actuation colours of a replay read), from `values` (one copy's control vector).
 */
export function bodyTracks(params: ParamSpace, values: ArrayLike<number>): BodyTracks {
  const out: BodyTracks = {};
  for (const b of params.blocks) {
    const body = b.kind === 'track' && BODY_TRACK.test(b.name), act = b.kind === 'actuation' && b.name === 'actuation';
    if (b.rowLength === 0 || !(body || act)) continue;
    const rows: number[][] = [];
    for (let o = 0; o < b.indices.length; o += b.rowLength) rows.push(Array.from(b.indices.subarray(o, o + b.rowLength), (i) => values[i]));
    out[b.name] = rows;
  }
  return out;
}

/** `scene` (a copy; the input is untouched) with `tracks` written in; a track naming a body or field the scene lacks throws. */
export function withBodyTracks(scene: Scene, tracks: BodyTracks): Scene {
  const out = structuredClone(scene) as Scene & { colliders?: Record<string, unknown>[]; grippers?: Record<string, unknown>[] };
  for (const [name, rows] of Object.entries(tracks)) {
    if (name === 'actuation') {
      const a = out.actuation;
      if (!a || rows.some((r) => r.length !== a.channels)) throw new RangeError(`tracks: 'actuation' rows do not match scene ${scene.name}'s ${a ? `${a.channels} channels` : 'lack of actuation'}`);
      out.actuation = { channels: a.channels, values: rows.flat() }; // rows in place of a periodic gait too
      continue;
    }
    const m = BODY_TRACK.exec(name);
    const body = m ? out[m[1] as 'colliders' | 'grippers']?.[Number(m[2])] : undefined;
    if (!m || !body) throw new RangeError(`tracks: '${name}' is not a collider or gripper track of scene ${scene.name}`);
    body[m[3]] = rows.map((r) => r.slice());
  }
  return out;
}

/**
 * The actuation rows a controller wrote in the simulator's last forward (copy 0's), read from its
 * inner simulator's control record: what a replay of that forward ran, where the scene's own rows
 * (scene.json's) are only the start the MLP overwrites. Null for a simulator without a controller.
 */
export async function controllerActuation(sim: Simulator): Promise<BodyTracks | null> {
  if (!(sim instanceof ControlledSim) || !sim.inner.actuationTarget?.()) return null;
  const { inner } = sim;
  const rec = await readF32(sim.device, inner.actuationTarget!()!.buffer);
  const rows = bodyTracks(inner.params, inner.params.unpack(rec.subarray(0, inner.paramValues.length), 0)).actuation;
  return rows ? { actuation: rows } : null;
}
