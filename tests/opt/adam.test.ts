import { expect, test } from 'vitest';
import { Adam } from '../../src/opt/adam';

test('Adam minimises a badly scaled quadratic', () => {
  const p = new Float64Array([3, -2]);
  const opt = new Adam(2, { lr: 0.1 });
  for (let i = 0; i < 500; i++) opt.step(p, [2 * p[0], 200 * p[1]]);
  expect(Math.abs(p[0])).toBeLessThan(1e-2);
  expect(Math.abs(p[1])).toBeLessThan(1e-2);
});

test('Adam refuses a non-positive learning rate', () => {
  expect(() => new Adam(1, { lr: 0 })).toThrow(/learning rate = 0: allowed > 0/);
});
