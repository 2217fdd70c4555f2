// A view of a simulation (three-view.ts, or the flat-disc fallback points-renderer.ts) and what it
// needs to know about what it draws, built by SimRunner.source() from the Simulator and its scene.
// Views read the state buffer on the GPU, never a CPU copy.
import type { ColliderDesc } from '../mpm/scene';

export type ColorMode = 'group' | 'speed';

/** What the flat-disc renderer (points-renderer.ts) needs. */
export interface PointsSource {
  dim: 2 | 3;
  /** Items drawn (batch copy 0). */
  n: number;
  /** Floats per item record. */
  stride: number;
  /** Domain extent per axis (grid res * dx). */
  extent: number[];
  /** Simulator.itemAttributes: [N][group, volume] f32. */
  model: GPUBuffer;
  /** Speed at the top of the colour ramp. */
  speedMax: number;
}

/** What the three.js view needs besides: the record layout and the topology. */
export interface DrawSource extends PointsSource {
  /** Float offsets of the position and the velocity (-1: none) in a state record. */
  posOffset: number;
  velOffset: number;
  /** Radius of every item in domain units; 0: from its volume (MPM particles). */
  pointRadius: number;
  /** [T * 3] vertex indices of a shell's triangles, or null. */
  triangles: Uint32Array | null;
  /** [S * 2] vertex pairs of springs, or null. */
  lines: Uint32Array | null;
  /** Height of the ground plane (axis 1), or null. */
  ground: number | null;
  /** The scene's kinematic colliders, drawn where their tracks put them at the step shown. */
  colliders: ColliderDesc[];
}

/** What the viewer's frame loop needs of a view (three-view.ts or the flat-disc points-renderer.ts). */
export interface SceneView {
  readonly name: string;
  colorMode: ColorMode;
  setSource(src: DrawSource): void;
  /** Matches the canvas backing store to its CSS size; true when it changed. */
  fitCanvas(): boolean;
  /** Encodes what the view needs from `state` (the state after `step` steps) into the frame's command encoder. */
  encode(enc: GPUCommandEncoder, state: GPUBuffer, step: number): void;
  /** After the frame's submit: draws (three records and submits its own commands). */
  present(): void;
  /** True once after the view changed by itself (the camera moved). */
  takeChanged(): boolean;
  dispose(): void;
}
