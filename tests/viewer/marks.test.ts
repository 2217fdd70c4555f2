// What the views draw besides the items, from the scene data alone (no GPU): the actuation channel
// lists, the loss targets and MPC goals, the grippers' anchors and the ground (draw-source.ts), and
// where marks.ts puts their three.js objects at a step; the resolution knob of registered scenes
// (scenes/index.ts, panel.ts's withResolution).
import { describe, expect, it } from 'vitest';
import { buildScene, sceneResolution } from '../../scenes/index';
import { actuationMap, actuationMax, gripperMarks, groundHeight, targetMarks, trackAt } from '../../src/viewer/draw-source';
import * as THREE from 'three/webgpu';
import { Marks } from '../../src/viewer/marks';
import { withResolution } from '../../src/viewer/panel';
import type { DrawSource } from '../../src/viewer/scene-view';
import type { SpringScene } from '../../src/springs/scene';

/** The part of a DrawSource marks.ts reads, for `scene`. */
function source(name: string): DrawSource {
  const s = buildScene(name);
  const extent = 'particles' in s ? s.grid.res.map((r) => r * s.grid.dx) : s.extent;
  return { dim: s.dim, extent, ground: groundHeight(s), targets: targetMarks(s), grippers: gripperMarks(s) } as unknown as DrawSource;
}

describe('draw-source', () => {
  it('lists the channels of MPM particles by group and of spring vertices by actuated spring', () => {
    const robot = buildScene('robot-walk-2d');
    if (!('particles' in robot)) throw new Error('robot-walk-2d is an MPM scene');
    const n = robot.particles.group.length;
    const map = actuationMap(robot, n)!;
    expect(map[n]).toBe(n); // one channel per particle
    for (const p of [0, n - 1]) expect(map[n + 1 + map[p]]).toBe(robot.groups[robot.particles.group[p]].actuator!.channel);
    expect(actuationMax(robot)).toBeCloseTo(1, 3);
    expect(actuationMap(buildScene('dam-break-2d'), 5200)).toBeNull();

    const sr = buildScene('spring-robot-2d') as SpringScene;
    const nv = sr.vertices.mass.length;
    const m = actuationMap(sr, nv)!;
    const actuated = sr.springs!.actuator!.filter((c) => c >= 0).length;
    expect(m[nv]).toBe(2 * actuated); // both ends of every actuated spring
    const s = sr.springs!.actuator!.findIndex((c) => c >= 0);
    const v = sr.springs!.pairs[2 * s];
    expect(Array.from(m.subarray(nv + 1 + m[v], nv + 1 + m[v + 1]))).toContain(sr.springs!.actuator![s]);
  });

  it('finds the loss targets and MPC goals, and the ground', () => {
    expect(targetMarks(buildScene('fluid-push-3d'))).toEqual([{ shape: 'box', name: 'loss', min: [19 / 32, 0, 0], max: [1, 10 / 32, 0.5] }]);
    expect(targetMarks(buildScene('jelly-throw-2d'))).toEqual([{ shape: 'point', name: 'loss', at: [0.43, 0.45] }]);
    const mpc = targetMarks(buildScene('robot-chase-mpc-2d'));
    expect(mpc.map((t) => t.name)).toEqual(['mpc.goal']); // it drops the walker's own loss
    expect(targetMarks(buildScene('mpm-walker-2d'))).toEqual([]); // travel has no place
    const track = [[0, 0, 1], [10, 1, 1], [20, 1, 3]];
    expect(trackAt(track, -5)).toEqual([0, 1]);
    expect(trackAt(track, 5)).toEqual([0.5, 1]);
    expect(trackAt(track, 15)).toEqual([1, 2]);
    expect(trackAt(track, 99)).toEqual([1, 3]);
    expect(groundHeight(buildScene('jelly-drop-2d'))).toBeCloseTo(3 / 128, 12);
    expect(groundHeight(buildScene('dam-break-2d'))).toBeNull();
    expect(groundHeight(buildScene('cloth-drape-3d'))).toBe(0.05);
  });
});

describe('marks', () => {
  it("puts fluid-push-3d's target box where its loss says, and a 2D com-target's ring at its point behind the particles", () => {
    const box = new Marks(source('fluid-push-3d')).group.getObjectByName('target loss')!;
    expect(box.position.toArray().map((x) => +x.toFixed(6))).toEqual([(19 / 32 + 1) / 2, 5 / 32, 0.25].map((x) => +x.toFixed(6)));
    const ring = new Marks(source('jelly-throw-2d')).group.getObjectByName('target loss')!;
    expect(ring.position.x).toBeCloseTo(0.43, 6);
    expect(ring.position.y).toBeCloseTo(0.45, 6);
    expect(ring.position.z).toBeLessThan(0);
  });

  it("draws match-positions' observed positions as dots and match-pairs' pairs as lines on the items' draw buffer", () => {
    const sysid = buildScene('jelly-sysid-2d');
    const observed = targetMarks(sysid).filter((t) => t.shape === 'points');
    expect(observed.length).toBeGreaterThan(0);
    const marks = new Marks(source('jelly-sysid-2d'));
    const first = observed[0] as { name: string; points: number[][] };
    const dots = marks.group.getObjectByName(`target ${first.name}`) as THREE.InstancedMesh;
    expect(dots.count).toBe(first.points.length);
    const m = new THREE.Matrix4();
    dots.getMatrixAt(3, m);
    const at = new THREE.Vector3().setFromMatrixPosition(m);
    expect(at.x).toBeCloseTo(first.points[3][0], 6);
    expect(at.y).toBeCloseTo(first.points[3][1], 6);

    const fold = buildScene('cloth-fold-3d') as SpringScene;
    expect(targetMarks(fold)).toEqual([{ shape: 'pairs', name: 'loss', pairs: (fold.loss as { pairs: number[][] }).pairs.flat() }]);
    const draw = new THREE.StorageBufferAttribute(fold.vertices.mass.length, 4);
    const lines = new Marks(source('cloth-fold-3d'), draw).group.getObjectByName('target loss') as THREE.LineSegments;
    expect(lines.geometry.getAttribute('position')).toBe(draw);
    expect(Array.from(lines.geometry.getIndex()!.array)).toEqual((fold.loss as { pairs: number[][] }).pairs.flat());
    expect(new Marks(source('cloth-fold-3d')).group.getObjectByName('target loss')).toBeUndefined(); // no draw buffer, no lines
  });

  it('moves grippers along their tracks (the centroid of what they hold) and the MPC goal along its waypoints', () => {
    const scene = buildScene('cloth-fold-3d') as SpringScene;
    const g = scene.grippers![0];
    const marks = new Marks(source('cloth-fold-3d'));
    const obj = marks.group.getObjectByName(`gripper ${g.name}`)!;
    const centroid = (i: number) => g.vertices.reduce((s, v) => s + scene.vertices.x[3 * v + i], 0) / g.vertices.length;
    const step = 50;
    marks.place(step);
    const row = g.position[Math.min(step - 1, g.position.length - 1)];
    for (let i = 0; i < 3; i++) expect(obj.position.getComponent(i)).toBeCloseTo(row[i] - g.position[0][i] + centroid(i), 6);

    const chase = buildScene('robot-chase-mpc-2d');
    const goal = new Marks(source('robot-chase-mpc-2d'));
    const mark = goal.group.getObjectByName('target mpc.goal')!;
    goal.place(525);
    const want = trackAt(chase.mpc!.goal, 525);
    expect(mark.position.x).toBeCloseTo(want[0], 6);
    expect(mark.position.y).toBeCloseTo(want[1], 6);
  });
});

describe('resolution', () => {
  it('rebuilds a registered scene at another resolution, keeping edited parameters; refuses what its builder does not take', () => {
    const spec = sceneResolution('jelly-drop-2d')!;
    expect(spec).toMatchObject({ default: 2, min: 1, max: 4 });
    const base = buildScene('jelly-drop-2d');
    const edited = { ...base, gravity: [0, -4] };
    const coarse = withResolution('jelly-drop-2d', 1, edited);
    if (!('particles' in coarse) || !('particles' in base)) throw new Error('an MPM scene');
    expect(coarse.particles.group.length * 4).toBe(base.particles.group.length);
    expect(coarse.gravity).toEqual([0, -4]);
    const cloth = buildScene('cloth-drape-3d', { resolution: 16 }) as SpringScene;
    expect(cloth.vertices.mass.length).toBe(17 * 17);
    expect(() => buildScene('jelly-drop-2d', { resolution: 9 })).toThrow(/scene\.resolution = 9 is out of range: allowed integers in \[1, 4\]/);
    expect(() => buildScene('jelly-drop-2d', { resolution: 1.5 })).toThrow(/resolution = 1\.5/);
    expect(() => buildScene('spring-robot-2d', { resolution: 2 })).toThrow(/spring-robot-2d has no resolution knob/);
  });
});
