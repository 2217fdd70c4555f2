// A host program with its own loss: a cloth hangs from two grippers; move the right-hand gripper so
// that the cloth's free bottom-right corner ends the rollout on a target. The target is where the
// corner ends when that gripper follows a hidden track, so it can be reached.
//
// The loss lives here in TypeScript, not in the scene: after each forward the program reads the
// final state, computes the loss and dL/d(final state) itself, and hands that to the checkpointed
// backward. ParameterVector maps the gripper's whole track to 3 knots and the gradient back.
//
//   npx torsion exec examples/cloth-reach.ts [--quick] [--out DIR]
import { parseArgs } from 'node:util';
import {
  Adam, ParameterVector, Rollout, clothGrid, clothVertex, createSimulator, positionField, readF32, recordFrames,
  requestGpu, writeBuffer, type SpringScene,
} from 'torsion';
import { saveReplay } from 'torsion/node';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } } });
const N = args.quick ? 6 : 12; // quads per side
const STEPS = args.quick ? 60 : 300;
const ITERS = args.quick ? 4 : 40;
const DT = 1e-3;

// A square cloth in the xy plane; row j = N is its top edge, held at both ends.
const mesh = clothGrid({ nx: N, ny: N, size: [0.3, 0.3], origin: [0.35, 0.45, 0.5], plane: 'xy', density: 0.2 });
const left = clothVertex(N, 0, N), right = clothVertex(N, N, N), corner = clothVertex(N, N, 0);
const at = (i: number) => mesh.vertices.x.slice(3 * i, 3 * i + 3);
// a gripper's position track has a row per step (what the waypoints shape), here held still
const held = (i: number) => Array.from({ length: STEPS }, () => at(i));
const scene: SpringScene = {
  kind: 'shell', name: 'cloth-reach', dim: 3, dt: DT, steps: STEPS, gravity: [0, -9.8, 0], damping: 2, extent: [1, 1, 1],
  materials: [{ name: 'cotton', stiffness: 1, damping: 0, mu: 10, lambda: 5, bending: 5e-5 }],
  vertices: mesh.vertices,
  triangles: mesh.triangles,
  grippers: [{ name: 'left', vertices: [left], position: held(left) }, { name: 'right', vertices: [right], position: held(right) }],
};

const gpu = await requestGpu();
try {
  const sim = await createSimulator(gpu, scene); // checks the scene first: a bad field throws SceneError
  const rollout = new Rollout(sim, STEPS); // 'auto': about sqrt(2T) checkpoints, each segment recomputed once
  const params = new ParameterVector(sim, ['grippers[1].waypoints'], { waypoints: 3, dt: DT });
  const { stride } = sim.state, px = positionField(sim.state).offset;
  const cornerOf = (state: Float32Array) => Array.from(state.subarray(corner * stride + px, corner * stride + px + 3));

  // The hidden track: the right hand moves in, up and towards the viewer; the target is where the corner ends.
  const hidden = Float64Array.of(-0.02, 0.02, 0.03, -0.04, 0.04, 0.06, -0.05, 0.05, 0.1);
  const finalState = async (theta: Float64Array) => {
    // theta's controls to the simulator and its initial state to the rollout; throws RolloutError
    // naming the step if the cloth blows up
    await rollout.forward(params.write(theta));
    return { final: await readF32(gpu.device, rollout.final.buf) };
  };
  const target = cornerOf((await finalState(hidden)).final);

  // The loss and its gradient with respect to the final state: |corner - target|^2.
  const gFinal = sim.createState('dL/dfinal');
  const lossAndGradient = async (theta: Float64Array) => {
    const { final } = await finalState(theta);
    const d = cornerOf(final).map((c, k) => c - target[k]);
    const g = new Float32Array(sim.stateBytes / 4);
    d.forEach((dk, k) => { g[corner * stride + px + k] = 2 * dk; });
    writeBuffer(gpu.device, gFinal, g);
    const gState0 = await readF32(gpu.device, await rollout.backward(gFinal)); // dL/d(initial state)
    const gControls = await readF32(gpu.device, sim.paramGrad); // dL/d(every track row, material, ...)
    return { loss: d.reduce((s, x) => s + x * x, 0), gradient: params.gradient(gState0, gControls, theta) };
  };

  // The adjoint against a central difference of the loss, along the gradient, before optimizing.
  const theta = params.initial();
  const first = await lossAndGradient(theta);
  const norm = Math.hypot(...first.gradient);
  const dir = first.gradient.map((g) => g / norm);
  const eps = 1e-3;
  const lossAt = async (s: number) => {
    const { final } = await finalState(theta.map((t, i) => t + s * eps * dir[i]));
    return cornerOf(final).reduce((a, c, k) => a + (c - target[k]) ** 2, 0);
  };
  const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * eps);
  console.log(`${sim.state.items} vertices, ${STEPS} steps; dL/dtheta along the gradient: adjoint ${norm.toExponential(4)}, central difference ${numeric.toExponential(4)}`);

  const adam = new Adam(params.size, { lr: 0.01 });
  let best = { loss: first.loss, theta: theta.slice() };
  for (let it = 1; it <= ITERS; it++) {
    const { loss, gradient } = it === 1 ? first : await lossAndGradient(theta);
    if (loss < best.loss) best = { loss, theta: theta.slice() };
    if (it === 1 || it % 5 === 0 || it === ITERS) console.log(`iter ${String(it).padStart(3)}  loss ${loss.toExponential(3)}  corner miss ${(Math.sqrt(loss) * 1000).toFixed(2)} mm`);
    adam.step(theta, gradient);
    params.clamp(theta);
  }
  const last = (await lossAndGradient(theta)).loss;
  if (last < best.loss) best = { loss: last, theta: theta.slice() };
  console.log(`best: corner ${(Math.sqrt(best.loss) * 1000).toFixed(2)} mm from the target (started ${(Math.sqrt(first.loss) * 1000).toFixed(1)} mm); knots ${Array.from(best.theta, (v) => v.toFixed(3)).join(' ')}`);

  if (args.out) {
    // the best track's rollout as a replay: `npx torsion view <DIR>`
    const state0 = params.write(best.theta);
    const every = 5;
    saveReplay(args.out, scene, sim, (await recordFrames(sim, STEPS, every, state0)).frames, every);
    console.log(`replay: npx torsion view ${args.out}`);
  }
  rollout.destroy();
  sim.destroy();
} finally {
  gpu.destroy();
}
