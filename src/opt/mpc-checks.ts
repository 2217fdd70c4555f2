// The rules of a scene's `mpc` field across its values (the schema checks each value alone), for
// every scene kind: run by the validators before any GPU work.
import { sceneError, show } from '../core/scene-error';
import type { MpcDesc } from '../mpm/scene';
import type { Scene } from '../simulators';

export function checkMpc(mpc: MpcDesc | undefined, dim: number, steps: number, channels: number): void {
  if (!mpc) return;
  if (channels === 0) throw sceneError('mpc', 'present', 'needs actuation to plan', 'a scene with actuation channels');
  // a plan past the scene's end steers steps that never run, at the cost of simulating them
  if (mpc.horizon > steps) throw sceneError('mpc.horizon', show(mpc.horizon), "plans past the scene's end", `at most the scene's ${steps} steps`);
  if (mpc.every > mpc.horizon) throw sceneError('mpc.every', show(mpc.every), 'is longer than the horizon', `at most mpc.horizon = ${mpc.horizon}`);
  mpc.goal.forEach((w, k) => {
    if (w.length !== 1 + dim) throw sceneError(`mpc.goal[${k}]`, show(w), 'has the wrong length', `[step, ${dim === 2 ? 'x, y' : 'x, y, z'}]`);
    if (!(Number.isInteger(w[0]) && w[0] >= 0 && w[0] <= steps)) throw sceneError(`mpc.goal[${k}][0]`, show(w[0]), 'is not a step of the scene', `an integer in [0, ${steps}]`);
    if (k > 0 && !(w[0] > mpc.goal[k - 1][0])) throw sceneError(`mpc.goal[${k}][0]`, show(w[0]), 'does not come after the waypoint before', `> ${mpc.goal[k - 1][0]}`);
  });
  mpc.axes?.forEach((a, k) => { if (a >= dim) throw sceneError(`mpc.axes[${k}]`, show(a), 'is not an axis of the scene', `0 to ${dim - 1}`); });
  if (mpc.warmup >= steps) throw sceneError('mpc.warmup', show(mpc.warmup), 'leaves nothing to judge', `< the scene's ${steps} steps`);
}

/**
 * What the planner needs of the scene beyond its mpc field: it plans open-loop actuation, which a
 * scene's controller would overwrite every step (and then no 'actuation' parameter exists).
 */
export function checkMpcPlannable(scene: Scene): void {
  if (scene.mpc && scene.controller) {
    throw sceneError('mpc', 'present', "plans open-loop actuation, which the scene's controller writes every step", 'a scene without a controller (remove one of mpc and controller)');
  }
}
