// The rules of a scene's `optimize` that relate its fields to the scene, checked with the scene
// before any GPU work (the schema has checked their types and ranges): the waypoints' box has one
// bound per axis, each min at most its max.
import type { OptimizeDesc } from '../mpm/scene';
import { sceneError, show } from '../core/scene-error';

export function checkTrackBounds(o: OptimizeDesc | undefined, dim: number): void {
  const box = o?.trackBounds;
  if (!box) return;
  for (const side of ['min', 'max'] as const) {
    if (box[side].length !== dim) {
      throw sceneError(`optimize.trackBounds.${side}`, show(box[side]), 'has the wrong length', `exactly ${dim} items (one per axis (dim))`);
    }
  }
  box.min.forEach((lo, a) => {
    if (!(lo <= box.max[a])) throw sceneError(`optimize.trackBounds.max[${a}]`, show(box.max[a]), 'is below trackBounds.min', `>= ${lo} (optimize.trackBounds.min[${a}])`);
  });
}
