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

test('Adam.step refuses a non-finite gradient entry and a wrong size before it changes anything', () => {
  const opt = new Adam(2, { lr: 0.1 });
  const p = Float64Array.of(1, 2);
  expect(() => opt.step(p, [NaN, 1])).toThrow('Adam.step: grad[0] = NaN is not finite: allowed finite numbers (nothing was changed)');
  expect(() => opt.step(p, [1, 1, 1])).toThrow('Adam.step: params has 2 values and grad 3: allowed 2 each');
  expect(Array.from(p)).toEqual([1, 2]);
  // its moments are clean: the next steps are finite (they were NaN for good)
  for (let i = 0; i < 3; i++) opt.step(p, [2 * p[0], 2 * p[1]]);
  expect(Array.from(p).every(Number.isFinite)).toBe(true);
  expect(opt.save().m.every(Number.isFinite)).toBe(true);
});
