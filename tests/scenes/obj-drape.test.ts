// objDrapeScene refuses a mesh it cannot drape by the OBJ file's own terms: the line of the face,
// and vertices as the file numbers them (1-based, counting the vertices no face uses).
import { describe, expect, it } from 'vitest';
import { objDrapeScene } from '../../scenes/obj-drape';
import { ObjError } from '../../src/springs/obj';

function objError(text: string): ObjError {
  let err: unknown;
  try { objDrapeScene(text); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ObjError);
  return err as ObjError;
}

describe('objDrapeScene errors', () => {
  // a unit square in two triangles, after a vertex no face uses (it is dropped, but keeps its number)
  const square = 'v 9 9 9\nv 0 0 0\nv 1 0 0\nv 0 0 1\nv 1 0 1\nf 2 4 3\nf 3 4 5\n';

  it('names the line and the file\'s vertex of a vertex only in zero-area faces', () => {
    const e = objError(`${square}v 2 0 0\nf 2 3 6\n`);
    expect(e.line).toBe(9);
    expect(e.message).toBe('OBJ line 9: vertex 6 is only in faces of zero area (this face [2, 3, 6]), so it would have no mass: "f 2 3 6"');
  });

  it('names the line of a polygon no fan triangulates, and says when two corners coincide', () => {
    expect(objError('v 0 0 0\nv 1 0 0\nv 1 0 1\nv 1 0 0\nf 1 2 4 3\n').message)
      .toMatch(/^OBJ line 5: this face \[1, 2, 4, 3\] has two corners at one point \(vertex 2 and vertex 4\)/);
    const u = 'v 0 0 0\nv 3 0 0\nv 3 0 3\nv 2 0 3\nv 2 0 1\nv 1 0 1\nv 1 0 3\nv 0 0 3\nf 1 2 3 4 5 6 7 8\n';
    expect(objError(u).message).toMatch(/^OBJ line 9: this face \[1, 2, 3, 4, 5, 6, 7, 8\] has no corner to fan it from/);
  });

  it('refuses an edge of three faces by their lines, before the scene check', () => {
    const e = objError('v 0 0 0\nv 0 1 0\nv 1 0 0\nv -1 0 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\n# third\nf 1 2 5\n');
    expect(e.message).toBe('OBJ line 9: the edge from vertex 1 to vertex 2 is in 3 faces (lines 6, 7, 9): a cloth\'s edge joins at most 2 (its bending hinge bends a pair): "f 1 2 5"');
  });

  it('names the line of a face whose triangle the scene check refuses', () => {
    // a square of four triangles around a point on its edge, and a sliver of zero area along that edge
    const sliver = 'v 0 0 0\nv 1 0 0\nv 0 0 1\nv 1 0 1\nv 0.5 0 0\nf 1 3 5\nf 5 3 4\nf 5 4 2\nf 1 5 2\n';
    expect(objError(sliver).message).toMatch(/^OBJ line 9: a triangle of this face is refused .*is degenerate/);
  });

  it('drapes the same mesh when it is well formed', () => {
    const { scene, polygons } = objDrapeScene(square);
    expect(polygons).toBe(2);
    expect(scene.vertices.mass).toHaveLength(4);
  });
});
