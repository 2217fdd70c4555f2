// The names an optimizer may tune in a spring or shell scene (optimize.params, --params), known
// before any GPU work: validation refuses names outside this list.
import type { SpringScene } from './scene';

/** The differentiable fields of a material, in the order its record holds them. */
const MATERIAL_PARAMS = ['stiffness', 'damping', 'mu', 'lambda', 'bending'] as const;

/**
 * 'initialVelocity', 'initialPosition', `materials[k].<field>` for each material and field,
 * 'actuation' when the scene has channels, and each collider's position and velocity track and
 * each gripper's position track.
 */
export function springParamNames(scene: SpringScene): string[] {
  const names = ['initialVelocity', 'initialPosition'];
  scene.materials.forEach((_, k) => MATERIAL_PARAMS.forEach((f) => names.push(`materials[${k}].${f}`)));
  if ((scene.actuation?.channels ?? 0) > 0) names.push('actuation');
  (scene.colliders ?? []).forEach((_, k) => names.push(`colliders[${k}].position`, `colliders[${k}].velocity`));
  (scene.grippers ?? []).forEach((_, k) => names.push(`grippers[${k}].position`));
  return names;
}
