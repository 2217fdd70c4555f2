// The names an optimizer may tune in a spring or shell scene (optimize.params, --params), known
// before any GPU work: validation refuses names outside this list.
import type { SpringScene } from './scene';
import { withControllerNames } from '../control/controller';

/** The differentiable fields of a material, in the order its record holds them. */
const MATERIAL_PARAMS = ['stiffness', 'damping', 'mu', 'lambda', 'bending'] as const;

/**
 * Whether field f (MATERIAL_PARAMS order) of material k acts on anything: spring fields where a
 * spring uses k, membrane and bending fields where a triangle does. Unused fields are not parameters.
 */
export function materialFieldUsed(scene: SpringScene, k: number, f: number): boolean {
  return (f < 2 ? scene.springs?.material : scene.triangles?.material)?.includes(k) ?? false;
}

/**
 * 'initialVelocity', `materials[k].<field>` for each material and field in use,
 * 'actuation' when the scene has channels, and each collider's position, velocity, orientation and
 * angular velocity track and
 * each gripper's position track.
 */
export function springParamNames(scene: SpringScene): string[] {
  const names = ['initialVelocity'];
  scene.materials.forEach((_, k) => MATERIAL_PARAMS.forEach((f, i) => { if (materialFieldUsed(scene, k, i)) names.push(`materials[${k}].${f}`); }));
  if ((scene.actuation?.channels ?? 0) > 0) names.push('actuation', 'actuation.periodic');
  (scene.colliders ?? []).forEach((_, k) => names.push(`colliders[${k}].position`, `colliders[${k}].velocity`, `colliders[${k}].orientation`, `colliders[${k}].angularVelocity`, `colliders[${k}].waypoints`));
  (scene.grippers ?? []).forEach((_, k) => names.push(`grippers[${k}].position`, `grippers[${k}].waypoints`));
  return scene.controller ? withControllerNames(names) : names;
}
