// A small 3D scene whose sphere collider is centred exactly on a grid node: nodes around it sit at
// local coordinate 0 on one or two axes (where a normal's Jacobian once lost its columns, see
// rounded_box_sdf in src/shaders/mpm/contact.wgsl). Sized for a whole-rollout gradcheck on
// lavapipe: 16^3 grid, 32 particles.
import type { MpmScene } from '../../src/mpm/scene';
import { addCollider, addGroup, fillBox, gravity, sceneBase } from '../../scenes/builders';

export function sphereOnNodeScene(steps = 20): MpmScene {
  const res = 16;
  const dx = 1 / res;
  const scene = sceneBase({
    name: 'sphere-on-node-3d', dim: 3, res: [res, res, res], dt: 1e-3, steps,
    gravity: gravity(3), boundary: { walls: 'separate', groundFriction: 0.4 },
  });
  const jelly = addGroup(scene, { name: 'jelly', material: 'elastic', E: 60, nu: 0.3, density: 1 });
  // A slab falling onto the sphere (the jitter keeps particles off the B-spline kinks, where finite
  // differences mean nothing). Its underside stays more than 1.5 cells above the sphere's centre
  // node, which then gets no mass: there, at local 0 on every axis, the normal is undefined.
  fillBox(scene, jelly, [7 * dx, 8.2 * dx, 7 * dx], [9 * dx, 9.2 * dx, 9 * dx], { velocity: [0.1, -1, 0.05], jitter: 0.5, seed: 3 });
  // Radius 1.5 cells at node (8, 6, 8), fixed there (a one-row position track) while its velocity
  // and spin tracks say it moves: contacts then see the body velocity. Unturned, so that the nodes
  // of the planes x = 8 and z = 8 above it have local coordinate exactly 0 on those axes.
  addCollider(scene, {
    name: 'ball', shape: 'sphere', radius: 1.5 * dx, friction: 0.3,
    position: [[8 * dx, 6 * dx, 8 * dx]], velocity: [[0.05, 0.3, -0.05]], angularVelocity: [[0.4, 1.5, -0.3]],
  });
  return scene;
}
