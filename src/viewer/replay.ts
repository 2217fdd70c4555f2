// Replays written by the CLI (`torsion run|optimize|mpc`: replay.json + replay.bin, and scene.json
// beside them), checked and turned into states the viewer can draw. Positions come from the file;
// velocities, which the file does not hold, are the difference of neighbouring frames (for the
// speed colouring); every other field stays the scene's initial value.
import type { RecordedTrajectory } from '../core/record';
import { positionField, type StateLayout } from '../core/simulator';
import { BODY_TRACK, type BodyTracks } from '../opt/scene-tracks';

/** A replay as the page plays it: the recorded frames and the name of their scene. */
export interface Replay extends RecordedTrajectory {
  scene: string;
  /** The recorded point's collider and gripper tracks where they differ from its scene.json's (an optimize run's best point). */
  tracks?: BodyTracks;
}

export class ReplayError extends Error {
  constructor(message: string) { super(message); this.name = 'ReplayError'; }
}

function posInt(h: Record<string, unknown>, key: string, max: number): number {
  const v = h[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ReplayError(`replay.json: ${key} = ${JSON.stringify(v)} is out of range: allowed an integer in [1, ${max}]`);
  }
  return v;
}

/** Checks replay.json's header against the bytes of replay.bin. */
export function parseReplay(jsonText: string, bin: ArrayBuffer): Replay {
  let h: unknown;
  // a server that answers every path with its index page: say so rather than quote the parser
  if (/^\s*</.test(jsonText)) throw new ReplayError('replay.json is a web page, not a replay: is the run folder\'s URL right?');
  try { h = JSON.parse(jsonText); } catch (e) { throw new ReplayError(`replay.json is not JSON: ${(e as Error).message}`); }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new ReplayError('replay.json: expected an object');
  const r = h as Record<string, unknown>;
  const dim = posInt(r, 'dim', 3);
  if (dim < 2) throw new ReplayError(`replay.json: dim = ${dim} is out of range: allowed 2 or 3`);
  const particles = posInt(r, 'particles', 1 << 26);
  const batch = r.batch === undefined ? 1 : posInt(r, 'batch', 1 << 16);
  const frames = posInt(r, 'frames', 1 << 24);
  const stepsPerFrame = r.stepsPerFrame === undefined ? 1 : posInt(r, 'stepsPerFrame', 1 << 24);
  const dt = typeof r.dt === 'number' && r.dt > 0 && Number.isFinite(r.dt) ? r.dt : NaN;
  if (Number.isNaN(dt)) throw new ReplayError(`replay.json: dt = ${JSON.stringify(r.dt)} is out of range: allowed a number > 0`);
  const scene = typeof r.scene === 'string' ? r.scene : '';
  const want = frames * batch * particles * dim * 4;
  if (bin.byteLength !== want) {
    throw new ReplayError(`replay.bin holds ${bin.byteLength} bytes; replay.json says ${frames} frames x ${batch} copies x ${particles} particles x ${dim} floats = ${want} bytes`);
  }
  const tracks = r.tracks === undefined ? undefined : parseTracks(r.tracks);
  return { scene, dim, particles, batch, frames, stepsPerFrame, dt, positions: new Float32Array(bin), ...(tracks ? { tracks } : {}) };
}

/** replay.json's `tracks`: rows of finite numbers by collider or gripper track name. */
function parseTracks(t: unknown): BodyTracks {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new ReplayError('replay.json: tracks must be an object of track rows by name');
  for (const [name, rows] of Object.entries(t)) {
    if (!BODY_TRACK.test(name) && name !== 'actuation') throw new ReplayError(`replay.json: tracks.${name} is not a track name: allowed colliders[k] or grippers[k] .position or .velocity, or actuation`);
    const ok = Array.isArray(rows) && rows.length > 0 && rows.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (!ok) throw new ReplayError(`replay.json: tracks.${name} must be a non-empty list of rows of finite numbers`);
  }
  return t as BodyTracks;
}

/**
 * The state record of batch copy 0 at `frame`: `state0` with the replay's positions and the
 * velocities of the finite difference to the next frame (the previous one at the end).
 */
export function replayState(r: Replay, frame: number, state0: Float32Array, layout: StateLayout): Float32Array {
  if (layout.items !== r.particles) {
    throw new ReplayError(`the replay has ${r.particles} particles per copy, its scene ${layout.items}: open the scene.json written beside it`);
  }
  const f = Math.min(Math.max(0, Math.floor(frame)), r.frames - 1);
  const { dim } = r;
  const perFrame = r.batch * r.particles * dim;
  const out = state0.slice();
  const pos = positionField(layout).offset;
  const v = layout.fields.find((x) => x.name === 'v');
  const a = r.frames > 1 ? (f + 1 < r.frames ? f : f - 1) : f;
  const h = r.stepsPerFrame * r.dt;
  for (let p = 0; p < r.particles; p++) {
    for (let k = 0; k < dim; k++) {
      out[p * layout.stride + pos + k] = r.positions[f * perFrame + p * dim + k];
      if (v && r.frames > 1) {
        const d = r.positions[(a + 1) * perFrame + p * dim + k] - r.positions[a * perFrame + p * dim + k];
        out[p * layout.stride + v.offset + k] = d / h;
      }
    }
  }
  return out;
}
