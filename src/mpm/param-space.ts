// MPM's differentiable control vector as a ParamSpace (src/core/simulator.ts). One batch copy's
// vector is its group records, then its actuation rows, then its collider track rows, each slice
// cut from the packed GPU record, where the B copies of each part lie one after another
// (layout.ts ctrlLayout): the batch-1 layout, which is also what the float64 reference reads.
import type { ParamBlock, ParamSpace } from '../core/simulator';
import { GROUP_STRIDE, TRACK_SLOT, TRACK_STRIDE, orientComps, spinComps, type PackedMpm } from './layout';
import type { MpmScene } from './scene';
import { withControllerNames } from '../control/controller';

/** Offsets of the differentiable fields inside a group record (model.wgsl `load_group`). */
const GROUP_E = 0;
const GROUP_NU = 1;

/** The three parts of one copy's vector: [offset in the batch-1 vector, offset of copy 0 in the packed record, floats per copy]. */
function parts(p: PackedMpm): [number, number, number][] {
  const g = p.nGroups * GROUP_STRIDE, a = p.horizon * p.nAct, t = p.horizon * p.nColliders * TRACK_STRIDE;
  const lay = p.ctrlLayout;
  return [[0, lay.groupsOff, g], [g, lay.actOff, a], [g + a, lay.colOff, t]];
}

function range(start: number, count: number, stride = 1, width = 1): Uint32Array {
  const r = new Uint32Array(count * width);
  for (let k = 0; k < count; k++) for (let j = 0; j < width; j++) r[k * width + j] = start + k * stride + j;
  return r;
}

const TRACKS = ['position', 'velocity', 'orientation', 'angularVelocity'] as const;

/** The names an optimizer may tune in a scene (src/opt/parameters.ts): 'initialVelocity' and every block's. */
export function mpmParamNames(scene: MpmScene): string[] {
  const names = ['initialVelocity'];
  scene.groups.forEach((_, g) => names.push(`groups[${g}].E`, `groups[${g}].nu`));
  if (scene.actuation && scene.actuation.channels > 0) names.push('actuation', 'actuation.periodic');
  scene.colliders.forEach((_, c) => names.push(...TRACKS.map((t) => `colliders[${c}].${t}`), `colliders[${c}].waypoints`));
  return scene.controller ? withControllerNames(names) : names;
}

function blocks(scene: MpmScene, p: PackedMpm): ParamBlock[] {
  const out: ParamBlock[] = [];
  const [, [actStart], [colStart]] = parts(p);
  scene.groups.forEach((_, g) => {
    const at = (f: number) => Uint32Array.of(g * GROUP_STRIDE + f);
    out.push({ name: `groups[${g}].E`, kind: 'material', indices: at(GROUP_E), rowLength: 0, min: 0, eps: 1e-6, relative: true });
    out.push({ name: `groups[${g}].nu`, kind: 'material', indices: at(GROUP_NU), rowLength: 0, min: 0, max: 0.5, eps: 1e-6, relative: true });
  });
  if (p.nAct > 0) out.push({ name: 'actuation', kind: 'actuation', indices: range(actStart, p.horizon * p.nAct), rowLength: p.nAct, eps: 1e-6 });
  const d = p.dim, dx = scene.grid.dx;
  const width = { position: d, velocity: d, orientation: orientComps(d), angularVelocity: spinComps(d) };
  const eps = { position: 1e-5 * dx, velocity: 1e-6, orientation: 1e-5, angularVelocity: 1e-5 };
  const tracks = TRACKS.map((t) => [t, TRACK_SLOT[t], width[t], eps[t]] as const);
  scene.colliders.forEach((_, c) => {
    for (const [name, slot, width, eps] of tracks) {
      const first = colStart + c * TRACK_STRIDE + slot;
      out.push({ name: `colliders[${c}].${name}`, kind: 'track', indices: range(first, p.horizon, p.nColliders * TRACK_STRIDE, width), rowLength: width, eps });
    }
  });
  return out;
}

export function mpmParamSpace(scene: MpmScene, packed: PackedMpm, current: () => Float32Array): ParamSpace {
  const ps = parts(packed);
  const size = ps.reduce((s, [, , n]) => s + n, 0);
  const unpack = (rec: Float32Array, b: number) => {
    const r = new Float64Array(size);
    for (const [at, off, n] of ps) for (let i = 0; i < n; i++) r[at + i] = rec[off + b * n + i];
    return r;
  };
  return {
    size,
    blocks: blocks(scene, packed),
    values: (b) => unpack(current(), b),
    unpack,
    pack(rec, b, values) {
      if (values.length !== size) throw new RangeError(`control vector has ${values.length} entries, expected ${size}`);
      for (const [at, off, n] of ps) for (let i = 0; i < n; i++) rec[off + b * n + i] = values[at + i];
    },
  };
}
