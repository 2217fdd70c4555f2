// Rules on a collider that hold in every scene kind that has colliders (MPM, springs): its shape
// has a size and uses only the fields that shape reads, and a 3D orientation is a rotation. The
// schema (schema.ts colliderSchema) has checked types and lengths already; the rules that depend
// on the simulator (MPM's cell-per-step speed limit) stay in that simulator's validator.
import type { ColliderDesc, Dim } from './scene';
import { fmt, sceneError, show } from '../core/scene-error';

/** Refuses a collider without a size, or with half extents its shape does not use. `f` is its field path (`colliders[0]`). */
export function checkColliderShape(c: ColliderDesc, f: string): void {
  const h = c.halfExtents ?? [];
  const nonZero = h.filter((e) => e > 0).length;
  if (c.shape === 'box' && nonZero === 0) {
    const [value, problem] = c.halfExtents ? [show(c.halfExtents), 'gives the box no size'] : [undefined, 'is missing'];
    throw sceneError(`${f}.halfExtents`, value, problem, 'half extents > 0 along some axis, for a box');
  }
  if (c.shape !== 'box' && !((c.radius ?? 0) > 0)) {
    const [value, problem] = c.radius !== undefined ? [show(c.radius), `gives the ${c.shape} no size`] : [undefined, 'is missing'];
    throw sceneError(`${f}.radius`, value, problem, `> 0, for a ${c.shape}`);
  }
  if (c.shape === 'sphere' && nonZero > 0) {
    throw sceneError(`${f}.halfExtents`, show(c.halfExtents), 'is not used by a sphere', 'all zero or absent');
  }
  if (c.shape === 'capsule' && nonZero > 1) {
    throw sceneError(`${f}.halfExtents`, show(c.halfExtents), 'has more than one non-zero axis',
      'the segment half length on one axis, zeros elsewhere');
  }
}

/** Refuses a 3D orientation row near zero: a quaternion is normalised on the GPU, and one near zero has no direction. */
export function checkColliderOrientation(c: ColliderDesc, f: string, dim: Dim): void {
  c.orientation?.forEach((o, t) => {
    const n = Math.hypot(...o);
    if (dim === 3 && !(n >= 1e-3)) {
      throw sceneError(`${f}.orientation[${t}]`, `${show(o)} (norm ${fmt(n)})`, 'is not a rotation', 'a quaternion [x, y, z, w] of norm >= 0.001');
    }
  });
}
