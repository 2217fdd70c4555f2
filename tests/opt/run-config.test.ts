// An optimization's configuration is checked before any GPU work: a --steps that stops the rollout
// before a step the loss observes is a clear error, not a stack trace from createLoss.
import { expect, test } from 'vitest';
import { ConfigError, runConfig } from '../../src/opt/session';
import { buildScene } from '../../scenes/index';
import type { SpringScene } from '../../src/springs/scene';

test('--steps shorter than a step the loss observes is refused, naming the term and the steps allowed', () => {
  const sysid = buildScene('jelly-sysid-2d'); // match-positions terms observed at steps up to the scene's last
  const last = sysid.steps;
  expect(() => runConfig(sysid, { steps: 50 })).toThrow(ConfigError);
  expect(() => runConfig(sysid, { steps: 50 })).toThrow(new RegExp(`--steps = 50 ends before the scene's loss\\.terms\\[\\d\\]\\.loss\\.step = ${last}, which the loss observes: allowed ${last} only`));
  expect(() => runConfig(sysid, {})).not.toThrow();
  const cloth = buildScene('cloth-fold-3d') as SpringScene;
  cloth.loss = { kind: 'match-pairs', step: 20, pairs: [[0, 1]] };
  expect(() => runConfig(cloth, { steps: 10, params: ['grippers[0].waypoints'] })).toThrow(`--steps = 10 ends before the scene's loss.step = 20, which the loss observes: allowed 20 to ${cloth.steps}`);
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
