// The scene registry shared by the CLI, the viewer and the tests: a name, a one-line description
// and a builder per scene. Building a scene is pure and cheap; every build is validated.
import type { Scene } from '../src/simulators';
import type { MpmScene } from '../src/mpm/scene';
import { validateScene } from '../src/mpm/validate';
import { sceneError, show } from '../src/core/scene-error';
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
  /** The scene's resolution knob, where its builder takes one: build({ resolution }). */
  resolution?: ResolutionSpec;
}

/** What a builder with a resolution knob takes. */
export interface BuildOptions {
  resolution?: number;
}

/** A builder's resolution knob: an integer in [min, max], what it means, and the scene's own value. */
export interface ResolutionSpec {
  /** For people: 'particles per cell (per axis)', 'quads per side'. */
  label: string;
  default: number;
  min: number;
  max: number;
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

/**
 * Builds (and validates) a registered scene; throws for an unknown name, listing the known ones, and
 * a SceneError for a resolution the scene has no knob for or out of its range.
 */
export function buildScene(name: string, o: BuildOptions = {}): Scene {
  if (!Object.hasOwn(registry, name)) {
    throw new Error(`unknown scene ${JSON.stringify(name)}: known scenes are ${sceneNames.join(', ')}`);
  }
  const m = registry[name];
  if (o.resolution === undefined) return validateScene(m.build()) as Scene;
  const r = m.resolution;
  if (!r) throw sceneError('resolution', show(o.resolution), `cannot be set: ${name} has no resolution knob`, 'none');
  if (!(Number.isInteger(o.resolution) && o.resolution >= r.min && o.resolution <= r.max)) {
    throw sceneError('resolution', show(o.resolution), 'is out of range', `integers in [${r.min}, ${r.max}] (${r.label})`);
  }
  // a module that exports `resolution` builds from BuildOptions (the registry's type cannot say so:
  // builders take options of their own, cloth-fold-3d's track)
  return validateScene((m.build as (b: BuildOptions) => Scene)({ resolution: o.resolution })) as Scene;
}

/** The resolution knob of a registered scene, or null. */
export function sceneResolution(name: string): ResolutionSpec | null {
  return Object.hasOwn(registry, name) ? registry[name].resolution ?? null : null;
}

/** buildScene for a scene that must be an MPM scene (tests and tools that read particles). */
export function buildMpmScene(name: string): MpmScene {
  const s = buildScene(name);
  if ('particles' in s) return s;
  throw new Error(`scene ${JSON.stringify(name)} is a ${s.kind} scene, not an MPM scene`);
}
