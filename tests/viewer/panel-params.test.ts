// The page's parameter panel (src/viewer/panel.ts sceneParams): it offers what moves the scene shown.
// A cloth or paper strip is triangles without springs, so spring stiffness and damping would change
// nothing there; its membrane (mu, lambda) and bending do.
import { expect, test } from 'vitest';
import { buildScene } from '../../scenes/index';
import { sceneParams, withParam } from '../../src/viewer/panel';
import type { SpringScene } from '../../src/springs/scene';

const keys = (name: string) => sceneParams(buildScene(name)).map((p) => p.key);

test('a cloth or paper scene offers its membrane and bending parameters, not spring ones', () => {
  expect(keys('cloth-fold-3d')).toEqual(['gravity', 'damping', 'mu.0', 'lambda.0', 'bending.0']);
  expect(keys('paper-crease-3d')).toEqual(['gravity', 'damping', 'mu.0', 'lambda.0', 'bending.0']);
  const labels = sceneParams(buildScene('cloth-fold-3d')).map((p) => p.label);
  expect(labels.slice(2)).toEqual(['cotton: membrane mu', 'cotton: membrane lambda', 'cotton: bending']);
  const s = withParam(buildScene('cloth-fold-3d'), 'bending.0', 1e-4) as SpringScene;
  expect(s.materials[0].bending).toBe(1e-4);
  expect(() => withParam(buildScene('cloth-fold-3d'), 'mu.0', -1)).toThrow(/materials\[0\]\.mu = -1/);
});

test('a mass-spring robot offers its springs\' stiffness and damping', () => {
  expect(keys('spring-robot-2d')).toEqual(['gravity', 'damping', 'stiffness.0', 'springDamping.0']);
});
