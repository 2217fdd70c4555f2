// A host program on the objective layer: throw an MPM jelly so that its centre of mass lands on a
// target. A scene built in code carries its loss (`com-target`, evaluated on the GPU); first a fan
// of 16 launch velocities is scored in one batched rollout (16 copies in the same dispatches), then
// the best of them is refined by Adam through the checkpointed adjoint.
//
//   npx torsion exec examples/jelly-aim.ts [--quick]
import { parseArgs } from 'node:util';
import { Adam, addGroup, createObjective, fillBox, gravity, requestGpu, sceneBase } from 'torsion';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' } } });
const RES = args.quick ? 32 : 64;
const DT = 2.5e-4 * (64 / RES); // a coarser grid takes longer steps (the scene check refuses unstable ones)
const STEPS = Math.round(0.2 / DT); // 0.2 s of flight
const ITERS = args.quick ? 3 : 20;
const TARGET = [0.62, 0.3];

const dx = 1 / RES;
const scene = sceneBase({
  name: 'jelly-aim', dim: 2, res: [RES, RES], dt: DT, steps: STEPS,
  gravity: gravity(2), boundary: { walls: 'separate', groundFriction: 0.4, boundCells: 3 },
});
const jelly = addGroup(scene, { name: 'jelly', material: 'elastic', E: 1e3, nu: 0.2, density: 1 });
fillBox(scene, jelly, [0.1, 0.3], [0.1 + 12 * dx, 0.3 + 12 * dx], { velocity: [1, 0] });
scene.loss = { kind: 'com-target', group: jelly, target: TARGET };

const gpu = await requestGpu();
try {
  const objective = await createObjective(gpu, scene, { params: ['initialVelocity'], steps: STEPS });
  // 1. A fan: 4 angles x 4 speeds, all 16 in one rollout of 16 batch copies.
  const fan: Float64Array[] = [];
  for (const deg of [0, 20, 40, 60]) for (const speed of [1, 2, 3, 4]) {
    const a = (deg * Math.PI) / 180;
    fan.push(Float64Array.of(speed * Math.cos(a), speed * Math.sin(a)));
  }
  const losses = await objective.losses(fan);
  const k = losses.indexOf(Math.min(...losses));
  console.log(`fan of ${fan.length} throws in one batched rollout: best v0 = (${fan[k][0].toFixed(2)}, ${fan[k][1].toFixed(2)}), miss ${Math.sqrt(losses[k]).toFixed(4)}`);

  // 2. Adam from the fan's best, through the adjoint.
  const theta = fan[k].slice();
  const adam = new Adam(theta.length, { lr: 0.1 });
  let best = { miss: Math.sqrt(losses[k]), v: theta.slice() };
  for (let it = 1; it <= ITERS; it++) {
    const { loss, gradient, com } = await objective.gradient(theta);
    if (Math.sqrt(loss) < best.miss) best = { miss: Math.sqrt(loss), v: theta.slice() };
    if (it === 1 || it % 5 === 0 || it === ITERS) console.log(`iter ${String(it).padStart(2)}  miss ${Math.sqrt(loss).toFixed(4)}  centre (${com.map((c) => c.toFixed(3)).join(', ')})  |grad| ${Math.hypot(...gradient).toExponential(2)}`);
    adam.step(theta, gradient);
    objective.clamp(theta);
  }
  console.log(`best: v0 = (${best.v[0].toFixed(3)}, ${best.v[1].toFixed(3)}), centre ${best.miss.toFixed(4)} from the target (domain 1 x 1)`);
  objective.destroy();
} finally {
  gpu.destroy();
}
