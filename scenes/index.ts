// The scene registry shared by the CLI, the viewer and the tests: a name, a one-line description
// and a builder per scene. Building a scene is pure and cheap; every build is validated.
import type { Scene } from '../src/simulators';
import type { MpmScene } from '../src/mpm/scene';
import { validateScene } from '../src/mpm/validate';
import * as damBreak2d from './dam-break-2d';
import * as damBreak3d from './dam-break-3d';
import * as jellyDrop2d from './jelly-drop-2d';
import * as jellyThrow2d from './jelly-throw-2d';
import * as jellySysid2d from './jelly-sysid-2d';
import * as plasticinePress3d from './plasticine-press-3d';
import * as fluidPush3d from './fluid-push-3d';
import * as robotWalk2d from './robot-walk-2d';
import * as mpmWalker2d from './mpm-walker-2d';
import * as mpmWalkerMlp2d from './mpm-walker-mlp-2d';
import * as springRobot2d from './spring-robot-2d';
import * as robotChaseMpc2d from './robot-chase-mpc-2d';
import * as springWalker2d from './spring-walker-2d';
import * as springRobot3d from './spring-robot-3d';
import * as clothDrape3d from './cloth-drape-3d';
import * as clothFold3d from './cloth-fold-3d';
import * as clothLift3d from './cloth-lift-3d';
import * as paperCrease3d from './paper-crease-3d';

export interface SceneModule {
  description: string;
  build(): Scene;
}

const registry: Record<string, SceneModule> = {
  'jelly-throw-2d': jellyThrow2d,
  'jelly-sysid-2d': jellySysid2d,
  'jelly-drop-2d': jellyDrop2d,
  'dam-break-2d': damBreak2d,
  'dam-break-3d': damBreak3d,
  'plasticine-press-3d': plasticinePress3d,
  'fluid-push-3d': fluidPush3d,
  'robot-walk-2d': robotWalk2d,
  'mpm-walker-2d': mpmWalker2d,
  'mpm-walker-mlp-2d': mpmWalkerMlp2d,
  'spring-robot-2d': springRobot2d,
  'robot-chase-mpc-2d': robotChaseMpc2d,
  'spring-walker-2d': springWalker2d,
  'spring-robot-3d': springRobot3d,
  'cloth-drape-3d': clothDrape3d,
  'cloth-fold-3d': clothFold3d,
  'cloth-lift-3d': clothLift3d,
  'paper-crease-3d': paperCrease3d,
};

export const sceneNames: string[] = Object.keys(registry);

export const defaultScene = 'mpm-walker-2d';

/** Name and one-line description of every scene, for listings. */
export const sceneList: { name: string; description: string }[] =
  sceneNames.map((name) => ({ name, description: registry[name].description }));

/** Builds (and validates) a registered scene; throws for an unknown name, listing the known ones. */
export function buildScene(name: string): Scene {
  if (!Object.hasOwn(registry, name)) {
    throw new Error(`unknown scene ${JSON.stringify(name)}: known scenes are ${sceneNames.join(', ')}`);
  }
  return validateScene(registry[name].build()) as Scene;
}

/** buildScene for a scene that must be an MPM scene (tests and tools that read particles). */
export function buildMpmScene(name: string): MpmScene {
  const s = buildScene(name);
  if ('particles' in s) return s;
  throw new Error(`scene ${JSON.stringify(name)} is a ${s.kind} scene, not an MPM scene`);
}
