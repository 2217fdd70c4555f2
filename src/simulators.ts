// The simulator families by scene kind: the one place that knows every family, so the CLI, the
// viewer and the tests dispatch on `scene.kind` here and stay written against the Simulator
// interface (src/core/simulator.ts). A scene without `kind` is an MPM scene.
import type { GpuContext } from './gpu/device';
import type { PipelineCache } from './gpu/pipeline-cache';
import type { Simulator } from './core/simulator';
import type { GradcheckSubject } from './core/gradcheck';
import type { MpmScene } from './mpm/scene';
import { MpmSim } from './mpm/simulator';
import { mpmParamNames } from './mpm/param-space';
import type { SpringScene } from './springs/scene';
import { SpringSim, type AdjointPath } from './springs/simulator';
import { springParamNames } from './springs/param-names';
import { ControlledSim } from './control/controlled-sim';

/** Any scene Torsion runs: MPM, or mass-spring / thin shell (one family, two kinds). */
export type Scene = MpmScene | SpringScene;
export type SceneKind = NonNullable<Scene['kind']>;

export interface CreateOptions {
  batch?: number;
  cache?: PipelineCache;
  /** Mass-spring and shell scenes: which step adjoint runs (SpringSim's AdjointPath; default auto). */
  adjoint?: AdjointPath;
  /** MPM scenes: steps between particle sorts (MpmSim; 0: never); absent: the scene's sortEvery (absent there: never). */
  sortEvery?: number;
}

interface Family {
  create(gpu: GpuContext, scene: Scene, opts: CreateOptions): Promise<Simulator>;
  /** The simulator with its float64 reference, for gradcheck (batch 1). Loaded on use: the reference runs in Node worker processes, which a browser page must not import. */
  gradcheckSubject(gpu: GpuContext, scene: Scene, sortEvery: number): Promise<GradcheckSubject>;
  /** The names an optimizer may tune (src/opt/parameters.ts), known before any GPU work. */
  paramNames(scene: Scene): string[];
}

const springs: Family = {
  create: (gpu, scene, opts) => SpringSim.create(gpu, scene as SpringScene, opts),
  gradcheckSubject: async (gpu, scene) => (await import('./springs/gradcheck-subject')).springGradcheckSubject(gpu, scene as SpringScene), // nothing to sort
  paramNames: (scene) => springParamNames(scene as SpringScene),
};

const families: Record<SceneKind, Family> = {
  mpm: {
    create: (gpu, scene, opts) => MpmSim.create(gpu, scene as MpmScene, opts),
    gradcheckSubject: async (gpu, scene, sortEvery) => (await import('./mpm/gradcheck-subject')).mpmGradcheckSubject(gpu, scene as MpmScene, { sortEvery }),
    paramNames: (scene) => mpmParamNames(scene as MpmScene),
  },
  springs,
  shell: springs,
};

export function sceneKind(scene: Scene): SceneKind {
  return scene.kind ?? 'mpm';
}

/** The particle sort a simulator of `scene` runs: the option where given, else the scene's field (docs/design.md, "Particle order"). */
function sortEveryOf(scene: Scene, sortEvery: number | undefined): number {
  const k = sortEvery ?? (sceneKind(scene) === 'mpm' ? (scene as MpmScene).sortEvery : undefined) ?? 0;
  if (k && sceneKind(scene) !== 'mpm') throw new RangeError(`sortEvery = ${k}: allowed 0 for a ${sceneKind(scene)} scene (only MPM particles are sorted)`);
  return k;
}

/**
 * The scene with its particle sort set to k (MpmScene.sortEvery; 0: off): how `--sort-every`
 * overrides a scene. A scene that already has it is returned as it is, as is a spring or shell
 * scene for k = 0 (nothing to sort); for such a scene any other k is refused.
 */
export function withSortEvery<S extends Scene>(scene: S, k: number): S {
  if (sceneKind(scene) !== 'mpm') {
    sortEveryOf(scene, k); // refuses k > 0
    return scene;
  }
  return ((scene as MpmScene).sortEvery ?? 0) === k ? scene : { ...scene, sortEvery: k };
}

/**
 * The simulator for a validated scene of any kind; a scene with a `controller` gets its family's
 * simulator wrapped in the controller (src/control/controlled-sim.ts), which drives its actuation.
 * An MPM scene's sortEvery is the default of opts.sortEvery: a caller that steps the simulator
 * itself or reads its states in the scene's order (the viewer, mpc) passes 0.
 */
export async function createSimulator(gpu: GpuContext, scene: Scene, opts: CreateOptions = {}): Promise<Simulator> {
  const sortEvery = sortEveryOf(scene, opts.sortEvery);
  const sim = await families[sceneKind(scene)].create(gpu, scene, { ...opts, sortEvery });
  return scene.controller ? ControlledSim.create(sim, scene.controller, { dt: scene.dt, steps: scene.steps }) : sim;
}

/** The simulator with its float64 reference (which never sorts), for gradcheck; an MPM scene's sortEvery as in createSimulator. */
export async function gradcheckSubject(gpu: GpuContext, scene: Scene, opts: { sortEvery?: number } = {}): Promise<GradcheckSubject> {
  const sortEvery = sortEveryOf(scene, opts.sortEvery);
  if (scene.controller) {
    const c = await import('./control/gradcheck-subject');
    if (sceneKind(scene) === 'mpm') return c.controlledMpmSubject(gpu, scene as MpmScene, scene.controller, { sortEvery });
    return c.controlledSpringSubject(gpu, scene as SpringScene, scene.controller);
  }
  return families[sceneKind(scene)].gradcheckSubject(gpu, scene, sortEvery);
}

export function paramNames(scene: Scene): string[] {
  return families[sceneKind(scene)].paramNames(scene);
}
