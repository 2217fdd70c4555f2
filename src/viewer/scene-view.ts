// A view of a simulation (three-view.ts, or the flat-disc fallback points-renderer.ts) and what it
// needs to know about what it draws, built by SimRunner.source() from the Simulator and its scene.
// Views read the state buffer on the GPU, never a CPU copy.
import type { ColliderDesc } from '../mpm/scene';

/** By material group, by speed, by strain (MPM: Green strain of F; springs: |l / L - 1|; shells: in-plane Green strain), by current actuation (soft robots). */
export type ColorMode = 'group' | 'speed' | 'strain' | 'actuation';

/**
 * Where the draw kernels read each item's actuation: channel c of the row for step t is float
 * offset + min(t, horizon - 1) * channels + c of `buffer` (the simulator's control record, copy 0).
 */
export interface ActuationSource {
  buffer: GPUBuffer;
  offset: number;
  channels: number;
  horizon: number;
  /** Per item, the channels that drive it (CSR: [n + 1] offsets, then the channels); an item's colour is their mean. */
  map: Uint32Array;
  /** Activation at either end of the colour ramp. */
  max: number;
}

/**
 * A loss target or goal drawn in the scene: a box, or a point (a moving one follows its track's
 * steps), observed positions (match-positions' targets), or lines joining items wherever they are
 * (match-pairs' pairs, [P * 2] item indices).
 */
export type TargetMark =
  | { shape: 'box'; name: string; min: number[]; max: number[] }
  | { shape: 'points'; name: string; points: number[][] }
  | { shape: 'pairs'; name: string; pairs: number[] }
  | { shape: 'point'; name: string; at: number[] }
  | { shape: 'point'; name: string; track: number[][] };

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
  /** Radius of every item in domain units; 0: from its volume (MPM particles). */
  pointRadius: number;
}

/** What the three.js view needs besides: the record layout and the topology. */
export interface DrawSource extends PointsSource {
  /** Float offsets of the position and the velocity (-1: none) in a state record. */
  posOffset: number;
  velOffset: number;
  /** [T * 3] vertex indices of a shell's triangles, or null. */
  triangles: Uint32Array | null;
  /** [S * 2] vertex pairs of springs, or null. */
  lines: Uint32Array | null;
  /** Height the ground's surface is drawn at (axis 1; groundDrawHeight: a little below the physical one), or null. */
  ground: number | null;
  /** The scene's kinematic colliders, drawn where their tracks put them at the step shown. */
  colliders: ColliderDesc[];
  /** Float offset of the deformation gradient F (dim x dim) in a state record, -1: none (no strain colours). */
  fOffset: number;
  /** Per material group, 1 where its F record holds F - I (MPM fluids), else 0. */
  groupFlags: Uint32Array;
  /** Green strain at the top of the strain ramp (springs: |l / L - 1|). */
  strainMax: number;
  /** Mass-spring and shell scenes: each vertex's springs or triangles (draw-source.ts strainMap); null: none (MPM uses F). */
  strain: { kind: 'springs' | 'triangles'; map: Uint32Array } | null;
  /** Actuation colours' source, or null for a scene without actuated items. */
  actuation: ActuationSource | null;
  /** Loss targets and goals (marks.ts draws them). */
  targets: TargetMark[];
  /** Grippers, drawn at the centroid of the vertices they hold: their track's row plus `offset` (that centroid's offset from row 0). */
  grippers: { name: string; position: number[][]; offset: number[] }[];
}

/** The colour modes a source can show. */
export function colorModes(src: DrawSource): ColorMode[] {
  const out: ColorMode[] = ['group'];
  if (src.velOffset >= 0) out.push('speed');
  if (src.fOffset >= 0 || src.strain) out.push('strain');
  if (src.actuation) out.push('actuation');
  return out;
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
