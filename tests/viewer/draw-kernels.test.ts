import { describe, expect, it } from 'vitest';
import { vertexTriangles } from '../../src/viewer/draw-kernels';

describe('vertexTriangles', () => {
  it('lists the triangles of each vertex after n + 1 offsets (CSR), in triangle order', () => {
    // Two triangles sharing the edge 1-2 of a quad; vertex 4 is in none.
    const adj = vertexTriangles(5, Uint32Array.from([0, 1, 2, 2, 1, 3]));
    expect(Array.from(adj.subarray(0, 6))).toEqual([0, 1, 3, 5, 6, 6]);
    expect(Array.from(adj.subarray(6))).toEqual([0, 0, 1, 0, 1, 1]);
  });
});
