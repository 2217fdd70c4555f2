// The scene registry shared by the CLI, the viewer and the tests: a name, a one-line description
// and a builder per scene. Building a scene is pure and cheap; every build is validated.
import type { MpmScene } from '../src/mpm/scene';
import { validateScene } from '../src/mpm/validate';
import * as damBreak2d from './dam-break-2d';
import * as damBreak3d from './dam-break-3d';
import * as jellyDrop2d from './jelly-drop-2d';
import * as jellyThrow2d from './jelly-throw-2d';
import * as plasticinePress3d from './plasticine-press-3d';
import * as robotWalk2d from './robot-walk-2d';

export interface SceneModule {
  description: string;
  build(): MpmScene;
}

const registry: Record<string, SceneModule> = {
  'jelly-throw-2d': jellyThrow2d,
  'jelly-drop-2d': jellyDrop2d,
  'dam-break-2d': damBreak2d,
  'dam-break-3d': damBreak3d,
  'plasticine-press-3d': plasticinePress3d,
  'robot-walk-2d': robotWalk2d,
};

export const sceneNames: string[] = Object.keys(registry);

export const defaultScene = 'jelly-throw-2d';

/** Name and one-line description of every scene, for listings. */
export const sceneList: { name: string; description: string }[] =
  sceneNames.map((name) => ({ name, description: registry[name].description }));

/** Builds (and validates) a registered scene; throws for an unknown name, listing the known ones. */
export function buildScene(name: string): MpmScene {
  if (!Object.hasOwn(registry, name)) {
    throw new Error(`unknown scene ${JSON.stringify(name)}: known scenes are ${sceneNames.join(', ')}`);
  }
  return validateScene(registry[name].build());
}
