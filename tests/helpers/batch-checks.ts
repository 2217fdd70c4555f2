// Byte and relative comparisons shared by the sorting tests, and their batch check: a B = 2 run
// equals two B = 1 runs byte for byte.
import { expect } from 'vitest';
import type { ParamSpace } from '../../src/core/simulator';

export const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Largest |a - b| over the largest |b|. */
export const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
};

/** What a run's checks read: the final state, dL/dstate0 and dL/dcontrols of every copy. */
export interface RunBytes { final: Float32Array; g: Float32Array; gc: Float32Array }

/**
 * `two` (a B = 2 run of a simulator with params `pairParams`) equals `first` in copy 0 and `second`
 * in copy 1 (B = 1 runs with params `params`), byte for byte.
 */
export function expectCopiesMatch(two: RunBytes, first: RunBytes, second: RunBytes, pairParams: ParamSpace, params: ParamSpace): void {
  const half = first.final.length;
  expect(same(two.final.subarray(0, half), first.final)).toBe(true);
  expect(same(two.final.subarray(half), second.final)).toBe(true);
  expect(same(two.g.subarray(0, half), first.g)).toBe(true);
  expect(same(two.g.subarray(half), second.g)).toBe(true);
  expect(Array.from(pairParams.unpack(two.gc, 0))).toEqual(Array.from(params.unpack(first.gc, 0)));
  expect(Array.from(pairParams.unpack(two.gc, 1))).toEqual(Array.from(params.unpack(second.gc, 0)));
}
