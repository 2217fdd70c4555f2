// A run's configuration (src/opt/session.ts): the scene's task with the command line's overrides,
// refused with a message naming the option before any GPU work.
import { expect, test } from 'vitest';
import { ConfigError, DEFAULT_LEARNING_RATE, idleShapeFields, runConfig } from '../../src/opt/session';
import { parseSceneJson } from '../../src/mpm/validate';
import { buildScene } from '../../scenes/index';
import type { SpringScene } from '../../src/springs/scene';

test('--steps shorter than a step the loss observes is refused, naming the term and the least allowed', () => {
  // jelly-sysid-2d matches positions observed at steps 100, 200 and 300
  const scene = buildScene('jelly-sysid-2d');
  expect(() => runConfig(scene, { steps: 150 })).toThrow(ConfigError);
  expect(() => runConfig(scene, { steps: 150 })).toThrow(/--steps = 150: loss\.terms\[2\]\.loss\.step = 300 observes a later step; allowed at least 300/);
  expect(runConfig(scene, { steps: 300 }).steps).toBe(300);
  expect(runConfig(buildScene('jelly-throw-2d'), { steps: 10 }).steps).toBe(10);
  // a single (not weighted) term, on a spring scene
  const cloth = buildScene('cloth-fold-3d') as SpringScene;
  cloth.loss = { kind: 'match-pairs', step: 20, pairs: [[0, 1]] };
  expect(() => runConfig(cloth, { steps: 10, params: ['grippers[0].waypoints'] })).toThrow(/--steps = 10: loss\.step = 20 observes a later step; allowed at least 20/);
  expect(() => runConfig(cloth, { steps: 20, params: ['grippers[0].waypoints'] })).not.toThrow();
});

test('more waypoints than a body\'s track has rows after its start is refused, from the scene\'s optimize or with --params', () => {
  const cloth = buildScene('cloth-fold-3d') as SpringScene;
  cloth.steps = 6;
  cloth.grippers = cloth.grippers!.map((g) => ({ ...g, position: g.position.slice(0, 1) }));
  cloth.optimize = { ...cloth.optimize!, waypoints: 6 };
  expect(() => runConfig(cloth, {})).toThrow("optimize.waypoints = 6: 'grippers[0].waypoints' shapes a track of 6 rows, room for at most 5 knots after its start");
  delete cloth.optimize.waypoints;
  cloth.steps = 4;
  expect(() => runConfig(cloth, { params: ['grippers[1].waypoints'] })).toThrow("optimize.waypoints = 4 (the default): 'grippers[1].waypoints' shapes a track of 4 rows, room for at most 3 knots");
  cloth.steps = 5;
  expect(() => runConfig(cloth, { params: ['grippers[1].waypoints'] })).not.toThrow();
});

test('step options a sampling optimizer would ignore are refused: cem takes no step, spsa runs no backward', () => {
  const scene = buildScene('jelly-throw-2d');
  for (const [o, flag] of [[{ lr: 0.5 }, '--lr'], [{ clip: 1 }, '--clip'], [{ normalize: true }, '--normalize'], [{ window: 10 }, '--window']] as const) {
    expect(() => runConfig(scene, { optimizer: 'cem', ...o })).toThrow(new RegExp(`^${flag} shapes .*, which cem does not take .*; add --optimizer adam, gd or hybrid`));
  }
  expect(() => runConfig(scene, { optimizer: 'spsa', window: 10 })).toThrow(/^--window shapes the backward through the rollout, which spsa does not run/);
  expect(runConfig(scene, { optimizer: 'spsa', lr: 0.5, clip: 1 })).toMatchObject({ lr: 0.5, clip: 1 });
  expect(runConfig(scene, { optimizer: 'hybrid', lr: 0.5, window: 10, params: ['groups[0].E'] })).toMatchObject({ lr: 0.5, window: 10 });
  // a scene's own learning rate under cem (the schema asks for one) is no error
  expect(runConfig(buildScene('cloth-drape-3d')).optimizer).toBe('cem');
});

test('a scene file\'s optimize block may leave out learningRate (cem takes none): the step size is then the default', () => {
  const scene = buildScene('cloth-drape-3d') as SpringScene;
  delete scene.optimize!.learningRate;
  const parsed = parseSceneJson(JSON.stringify(scene));
  expect(parsed.optimize!.learningRate).toBeUndefined();
  expect(runConfig(parsed).lr).toBe(DEFAULT_LEARNING_RATE);
  expect(runConfig(parsed, { optimizer: 'adam', lr: 0.3 }).lr).toBe(0.3);
});

test('--window shorter than the reach back to a step the loss observes is refused: that term\'s gradient would be dropped', () => {
  // jelly-sysid-2d's terms observe steps 100, 200 and 300 of 300
  const scene = buildScene('jelly-sysid-2d');
  expect(() => runConfig(scene, { window: 150 })).toThrow(/^--window = 150: loss\.terms\[0\]\.loss\.step = 100 observes a step the last 150 of 300 do not reach back to, so its gradient would be dropped; allowed at least 201$/);
  expect(runConfig(scene, { window: 201 }).window).toBe(201);
  expect(runConfig(scene, { window: 500 }).window).toBe(500); // past the rollout: no truncation
  expect(runConfig(buildScene('jelly-throw-2d'), { window: 5, params: ['groups[0].E'] }).window).toBe(5); // a loss of the final state only
});

test('--window shorter than the rollout is refused for initialVelocity: the truncated backward never reaches the initial state', () => {
  const scene = buildScene('jelly-throw-2d'); // 240 steps, optimizes initialVelocity
  expect(() => runConfig(scene, { window: 50 })).toThrow(/^--window = 50: 'initialVelocity' sets the initial state, which the last 50 of 240 steps do not reach back to, so its gradient would be zero; allowed at least 240$/);
  expect(() => runConfig(scene, { window: 50, params: ['initialVelocity', 'groups[0].E'] })).toThrow(/^--window = 50: 'initialVelocity'/);
  expect(runConfig(scene, { window: 240 }).window).toBe(240);
});

test('optimize fields that shape a parameter the run leaves alone are named as having no effect', () => {
  const cloth = buildScene('cloth-fold-3d') as SpringScene;
  expect(idleShapeFields(cloth, cloth.optimize!.params!)).toEqual([]);
  // the file's waypoints and box, with the run on another parameter
  expect(idleShapeFields(cloth, ['initialVelocity'])).toEqual([
    "optimize.waypoints shapes a body's '<body>.waypoints', which this run does not optimize (params: initialVelocity): it has no effect",
    "optimize.trackBounds shapes a body's '<body>.waypoints', which this run does not optimize (params: initialVelocity): it has no effect",
  ]);
  const walker = buildScene('mpm-walker-2d');
  expect(idleShapeFields(walker, ['actuation.periodic'])).toEqual([]);
  expect(idleShapeFields(walker, ['actuation'])).toEqual([
    "optimize.period shapes 'actuation.periodic', which this run does not optimize (params: actuation): it has no effect",
    "optimize.harmonics shapes 'actuation.periodic', which this run does not optimize (params: actuation): it has no effect",
  ]);
  delete walker.optimize;
  expect(idleShapeFields(walker, ['actuation'])).toEqual([]);
});

test('options a sampling optimizer would ignore are refused, each named for what it sets', () => {
  const scene = buildScene('jelly-throw-2d');
  expect(() => runConfig(scene, { sigma: 0.1 })).toThrow('--sigma sets the spread of the samples of cem, spsa and hybrid; adam runs one rollout per iteration');
  expect(() => runConfig(scene, { batch: 8 })).toThrow('--batch sets the population of cem, spsa and hybrid; adam runs one rollout per iteration');
  // cem and spsa run no backward: a tape for it means nothing
  for (const optimizer of ['cem', 'spsa'] as const) {
    expect(() => runConfig(scene, { optimizer, checkpoint: 'full' })).toThrow(`--checkpoint sets the tape of the backward through the rollout, which ${optimizer}`);
  }
  expect(runConfig(scene, { optimizer: 'hybrid', checkpoint: 'full' }).checkpoint).toBe('full');
  expect(runConfig(scene, { optimizer: 'cem' }).checkpoint).toBe('auto');
});
