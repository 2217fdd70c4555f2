// A scene with an optimized point written in: the scene file a user keeps from an optimization
// (`torsion optimize` writes it as best-scene.json) and runs again, at the same horizon or a longer
// one, in the page, or as the start of another optimization. Written as data, not as parameters:
// material values, actuation rows (a periodic gait's coefficients), body tracks, a controller's
// weights and the initial state, each as the simulator held it, so a rollout of the file repeats
// the optimized one bit for bit.
import type { Scene } from '../simulators';
import type { ParameterVector, PeriodicParameter } from './parameters';

/** Block names that are scene paths: a material's field, or a body's track. */
const MATERIAL = /^(groups|materials)\[(\d+)\]\.(\w+)$/;
const TRACK = /^(colliders|grippers)\[(\d+)\]\.(position|velocity|orientation|angularVelocity)$/;

/**
 * `scene` (the one `params.sim` was built from; left untouched) with the
 * parameters at `theta` written in. Only what the parameters set is written: the blocks of the
 * control vector they touch, the initial state's fields they change. A controller's default phase
 * periods are written out (they follow the scene's steps), so the file means the same controller
 * at any `steps`. `steps`: the steps the tuned run took, when fewer than the scene's (the file's
 * steps; default the scene's).
 */
export function tunedScene(scene: Scene, params: ParameterVector, theta: Float64Array, steps = scene.steps): Scene {
  if (!Number.isInteger(steps) || steps < 1 || steps > scene.steps) throw new RangeError(`tunedScene: steps = ${steps}: allowed an integer from 1 to the scene's ${scene.steps}`);
  const { sim } = params;
  const { state0, ctrl } = params.inputs(theta);
  const values = sim.params.unpack(ctrl, 0), start = sim.params.values(0);
  // which control entries the parameters write: applied onto NaN, the ones they leave stay NaN
  const probe = new Float64Array(sim.params.size).fill(NaN);
  const items = state0.slice(0, sim.state.items * sim.state.stride);
  let o = 0;
  for (const p of params.parts) { p.apply(theta.subarray(o, o + p.size), items, probe); o += p.size; }
  const out = structuredClone(scene) as Scene & Record<string, unknown>;
  for (const b of sim.params.blocks) {
    if (!b.indices.some((i) => !Number.isNaN(probe[i]) || !Object.is(values[i], start[i]))) continue;
    writeBlock(out, b.name, Array.from(b.indices, (i) => values[i]), b.rowLength);
  }
  // a periodic gait stays one: its coefficients, which give the same rows at the tuned steps and a
  // gait at any other (its rows above would hold their last past the steps)
  o = 0;
  for (const p of params.parts) {
    const clock = (p as Partial<PeriodicParameter>).periodic;
    if (p.name === 'actuation.periodic' && clock && clock.offset === 0 && out.actuation) {
      out.actuation = { channels: out.actuation.channels, periodic: { period: clock.period, coefficients: Array.from(theta.subarray(o, o + p.size)) } };
    }
    o += p.size;
  }
  writeState(out, sim.state.fields, sim.state.stride, sim.state0, items);
  if (out.controller && !out.controller.periods && (out.controller.inputs ?? ['com', 'velocity', 'phase']).includes('phase')) {
    out.controller = { ...out.controller, periods: [(scene.steps * scene.dt) / 10] };
  }
  return steps === scene.steps ? out : cutTo(out, steps);
}

/**
 * The file of a run tuned over fewer steps than its scene's (`optimize --steps N`) has the tuned
 * run's steps, so a rollout of it, and the loss over it (which a horizon's duration enters), are
 * the tuned run's. A spring scene's gripper track has at most steps rows; its row 0 stays, and so
 * do the held vertices' offsets. Other rows past the steps are kept: a rollout never reads them.
 */
function cutTo(out: Scene, steps: number): Scene {
  out.steps = steps;
  if (!('particles' in out)) for (const g of out.grippers ?? []) g.position = g.position.slice(0, steps);
  return out;
}

function rows(value: number[], width: number): number[][] {
  const r: number[][] = [];
  for (let k = 0; k < value.length; k += width) r.push(value.slice(k, k + width));
  return r;
}

/**
 * The scene's own number where the simulator holds it unchanged (its float32 rounding is the value):
 * a scene's 0.8 stays 0.8, not 0.800000011920929. What is derived from it in float64 (a gripper's
 * held vertices' offsets from its first row) then comes out as from the original scene.
 */
const own = (scene: number | undefined, v: number) => (scene !== undefined && Math.fround(scene) === v ? scene : v);

function writeBlock(out: Scene & Record<string, unknown>, name: string, value: number[], width: number): void {
  const m = MATERIAL.exec(name), t = TRACK.exec(name);
  if (m && value.length === 1) {
    const owner = (out[m[1]] as Record<string, unknown>[] | undefined)?.[Number(m[2])];
    if (owner) { owner[m[3]] = own(owner[m[3]] as number | undefined, value[0]); return; }
  } else if (t) {
    const body = (out[t[1]] as Record<string, unknown>[] | undefined)?.[Number(t[2])];
    if (body) {
      // a track shorter than the horizon holds its last row
      const was = (body[t[3]] as number[][] | undefined) ?? [];
      body[t[3]] = rows(value, width).map((r, k) => r.map((v, c) => own(was[Math.min(k, was.length - 1)]?.[c], v)));
      // a gripper's held vertices keep their offsets from the scene's row 0, not the tuned one
      const now = body[t[3]] as number[][];
      if (t[1] === 'grippers' && t[3] === 'position' && body.origin === undefined && was[0]?.some((x, c) => !Object.is(x, now[0][c]))) body.origin = was[0].slice();
      return;
    }
  } else if (name === 'actuation' && out.actuation) {
    const was = out.actuation.values ?? [];
    out.actuation = { channels: out.actuation.channels, values: value.map((v, k) => own(was[k], v)) };
    return;
  } else if (name === 'controller' && out.controller) {
    out.controller = { ...out.controller, weights: value };
    return;
  }
  throw new RangeError(`tunedScene: the parameter block '${name}' has no place in scene ${out.name}`);
}

/** The initial state's position and velocity fields where theta changed them (per item, in the scene's order). */
function writeState(out: Scene, fields: { name: string; offset: number; length: number }[], stride: number, before: Float32Array, after: Float32Array): void {
  const owner = ('particles' in out ? out.particles : out.vertices) as unknown as Record<string, number[]>;
  for (const f of fields) {
    let changed = false;
    for (let o = f.offset; o < after.length && !changed; o += stride) for (let i = 0; i < f.length; i++) changed ||= !Object.is(after[o + i], before[o + i]);
    if (!changed) continue;
    if (f.name !== 'x' && f.name !== 'v') throw new RangeError(`tunedScene: the initial state's field '${f.name}' was set, and a scene file has no place for it`);
    const a: number[] = [], was = owner[f.name] ?? [];
    for (let o = f.offset; o < after.length; o += stride) for (let i = 0; i < f.length; i++) a.push(own(was[a.length], after[o + i]));
    owner[f.name] = a;
  }
}
