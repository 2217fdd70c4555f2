// A scene of any kind: the type, and the schema of a scene file as a union discriminated by
// `kind` (one member per format: the MPM scene, and the spring scene for 'springs' and 'shell').
// validateScene (validate.ts) dispatches on kind itself; this union is what `npm run schema`
// publishes (scene-json-schema.ts). It lives apart from schema.ts because the spring schema is
// built from schema.ts's blocks.
import * as v from 'valibot';
import type { MpmScene } from './scene';
import type { SpringScene } from '../springs/scene';
import { KINDS_ALLOWED, mpmSceneSchema, type Message } from './schema';
import { springSceneSchema } from '../springs/schema';

/** A validated scene of any kind (validateScene's result). */
export type AnyScene = MpmScene | SpringScene;

/** A scene file of any kind, for either dim and any size (the published schema). A new kind adds its member here. */
export function sceneSchema() {
  const message: Message = (i) => (i.path ? KINDS_ALLOWED : 'an object as `npx torsion export <scene>` writes one (schemas/scene.schema.json)');
  return v.variant('kind', [mpmSceneSchema(), springSceneSchema()], message);
}
