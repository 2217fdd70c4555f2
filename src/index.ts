// Torsion's public API: what a host program imports (`import { ... } from 'torsion'`, run by
// `npx torsion exec file.ts`, or from a page built with Vite). docs/library.md walks through it.
// Everything here runs in a browser as well as in Node; what writes files is in ./node.ts.
import type { GpuContext } from './gpu/device';
import { validateScene, type SceneLimits } from './mpm/validate';
import { createSimulator as createUnchecked, gradcheckSubject as subjectUnchecked, type CreateOptions, type Scene } from './simulators';
import type { Simulator } from './core/simulator';
import type { GradcheckSubject } from './core/gradcheck';
import { SceneObjective, sceneLoss as lossUnchecked, type ObjectiveOptions, type PointValue } from './opt/objective';

// A WebGPU device (Dawn in Node, navigator.gpu in a page): requestGpu(); destroy() it when done.
export { requestGpu, NoAdapterError, GpuError, type GpuContext, type RequestGpuOptions } from './gpu/device';
export { createBuffer, readF32, readU32, writeBuffer } from './gpu/buffers';

/** The scene checked against the device's limits: a bad field throws SceneError (field, value, allowed range). */
function checked(gpu: GpuContext, scene: Scene, batch = 1): Scene {
  // Dawn would hand out buffers and pipelines of the destroyed device, and the first forward would
  // fail with an empty DOMException
  if (gpu?.destroyed) throw new Error('gpu: this GpuContext was destroyed (gpu.destroy()); requestGpu() another');
  const limits: SceneLimits = { maxBufferSize: gpu.limits.maxBufferSize, maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize };
  return validateScene(scene, limits, batch) as Scene;
}

/**
 * The simulator of any scene (MPM, springs, shell; wrapped in its controller where it has one),
 * `batch` copies stepped in the same dispatches. The scene is checked first: a bad field throws a
 * SceneError naming the field, the value and the allowed range, before any GPU work (as a
 * rejection of the promise, like every other error here).
 */
export async function createSimulator(gpu: GpuContext, scene: Scene, opts: CreateOptions = {}): Promise<Simulator> {
  return createUnchecked(gpu, checked(gpu, scene, opts.batch ?? 1), opts);
}

/**
 * The scene's loss (`scene.loss`, on the GPU) as a function of the named parameters: value and
 * gradient at a point through the checkpointed adjoint, values at many points as batch copies.
 * The scene is checked first, as by createSimulator.
 */
export async function createObjective(gpu: GpuContext, scene: Scene, o: ObjectiveOptions): Promise<SceneObjective> {
  return SceneObjective.create(gpu, checked(gpu, scene), o);
}

/**
 * The scene's own loss at its own inputs over its steps (a controller's listed goals: their mean),
 * one forward rollout: a tuned scene's score (tunedScene, best-scene.json). Checked first.
 */
export function sceneLoss(gpu: GpuContext, scene: Scene): Promise<Omit<PointValue, 'gradient'>> {
  return lossUnchecked(gpu, checked(gpu, scene));
}

/** The simulator beside its float64 reference, for gradcheck(); the scene is checked first. */
export async function gradcheckSubject(gpu: GpuContext, scene: Scene): Promise<GradcheckSubject> {
  return subjectUnchecked(gpu, checked(gpu, scene));
}
export { paramNames, sceneKind, type CreateOptions, type Scene, type SceneKind } from './simulators';

// The contract every simulator keeps, and the tape written once against it
export { positionField, type Simulator, type SimStatus, type StateLayout, type StateField, type ParamBlock, type ParamSpace } from './core/simulator';
export { Rollout, RolloutError, firstNonFiniteAdjoint, type BackwardOptions, type NonFiniteAdjoint, type TapeMemory } from './core/rollout';
export { planCheckpoints, type CheckpointMode, type CheckpointSchedule } from './core/checkpoint-schedule';
export { recordFrames, positionsOf } from './core/record';

// Losses on the GPU, gradient checks, optimizers
export { createLoss, type Loss, type LossDesc, type LossValue } from './core/loss';
export { gradcheck, simulatorSubject, type GradCheckEntry, type GradCheckReport, type GradcheckOptions, type GradcheckSubject } from './core/gradcheck';
export { ParameterVector, type Parameter, type ShapeOptions } from './opt/parameters';
export { tunedScene } from './opt/tuned-scene';
export type { SceneObjective, ObjectiveOptions, PointValue } from './opt/objective';
export { Adam, type AdamOptions } from './opt/adam';
export { createOptimizer, optimizerNames, type Optimizer, type OptimizerName, type OptimizerOptions } from './opt/optimizers';

// Scenes: the registry, the builders, checks and JSON
export { buildScene, sceneNames, sceneList } from '../scenes/index';
export { sceneBase, addGroup, fillBox, fillSphere, fillMesh, type MeshPlacement, addCollider, linearTrack, turningTrack, axisAngle, quatMul, setActuation, finalizeScene, gravity, GRAVITY } from '../scenes/builders';
export { robotFromCells2d, robotFromVoxels3d, clothGrid, clothVertex, clothCorners, triangleMesh, lumpedMasses, MeshError, type MeshNames, type ShellMesh, type ClothOptions, type LatticeRobot, type LatticeOptions } from '../scenes/spring-builders';
export { parseObj, ObjError, type ObjMesh } from './springs/obj';
export { objDrapeScene, DRAPE_BALL, type ObjDrapeOptions } from '../scenes/obj-drape';
export { timeStepLimit } from './springs/validate';
export type { StabilityLimit } from './springs/stability';
export { validateScene, parseSceneJson, exportSceneJson, SceneError, type SceneLimits } from './mpm/validate';
export type { MpmScene, GroupDesc, ColliderDesc, ParticlesDesc, Dim } from './mpm/scene';
export type { SpringScene, SpringMaterial, VerticesDesc, SpringsDesc, TrianglesDesc, GripperDesc, GroundDesc, SelfContactDesc } from './springs/scene';
