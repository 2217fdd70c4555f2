// The results files' JSON (src/core/json-text.ts): what JSON.parse reads back is what was written,
// with flat arrays on one line (a replay's group per particle was one line per particle).
import { expect, test } from 'vitest';
import { jsonText } from '../../src/core/json-text';

test('reads back equal to JSON.stringify\'s, flat arrays on one line, nested ones a line per entry', () => {
  const value = {
    scene: 'x', n: 3, ok: true, none: null, skip: undefined,
    group: Array.from({ length: 1000 }, (_, i) => i % 3),
    short: [1, 'a', null],
    nested: [{ a: [1, 2] }, { b: {} }],
    empty: [], obj: {}, nan: NaN,
  };
  const text = jsonText(value);
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
  expect(text.split('\n').length).toBeLessThan(30);
  expect(text).toMatch(/"group": \[0,1,2,0,1,2,/);
  expect(text).toMatch(/"short": \[1, "a", null\]/);
  expect(text).toMatch(/"nested": \[\n {4}\{\n {6}"a": \[1, 2\]\n {4}\},/);
});

test('typed arrays are written as arrays (JSON.stringify writes an object of indices)', () => {
  expect(JSON.parse(jsonText({ x: new Float32Array([0.5, 2]) }))).toEqual({ x: [0.5, 2] });
});
