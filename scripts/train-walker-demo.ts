// Trains the page's walker demo controller (src/viewer/demos.ts) and writes its weights to
// scenes/data/spring-walker-demo-2d.json. The scene is spring-walker-demo-2d: an MLP of a 0.256 s
// clock and the commanded speed, blind to where the walker is and how fast it goes.
//
// What the page shows is the speed the walker holds for seconds after a command, so that is what the
// loss measures: truncated backpropagation along long walks. B batch copies walk on from rollout to
// rollout (each rollout two clock periods, 512 steps, so the clock's phase carries on too); the loss
// of a rollout is the mean over the copies of (speed over it - command)^2, and its gradient reaches
// back over that rollout only. Each copy's command is redrawn now and then (uniform over the trained range,
// as the page's slider may be moved anywhere at any time), and now and then a copy starts again from
// rest, so the start and the change of command are learned as well as the steady gait. A copy is
// carried back along x after each rollout (the controller cannot see where it is). The earlier
// objective, the mean speed from rest over 0.8 s, rewarded how the walker set off, not the speed it
// held after a second (it walked backwards at the slow commands), and its gradient grew rough past
// 400 steps.
//
// The walker cannot hold much more than 0.06-0.07 m/s with a clock-driven gait (its light body rocks
// and its speed from one period to the next is erratic above about 0.03 m/s), so the commands span 0
// to 0.08 m/s (TRAIN_SPEEDS); at 0 it stands. Gradient norms over one 512-step rollout
// run from 0.1 to 10 (clipped to 1). From random weights (commands 0-0.2, 256-step rollouts) 260
// iterations brought the RMS error of a rollout's speed only to about 0.09 m/s, so it starts from
// spring-robot-2d's sine gait with an amplitude that grows with the command (sineGait).
//
// Then every speed in --eval (default 0 to 0.08 by 0.01) is commanded over a long rollout from rest,
// and the speed held from step --eval-from on is printed and stored (heldSpeeds).
//
// The stored weights are two stages (about 12 and 10 minutes on 2 CPU cores shared with other work,
// lavapipe; 1 to 3 s an iteration):
//   npx vite-node scripts/train-walker-demo.ts --out /tmp/stage1.json
//   npx vite-node scripts/train-walker-demo.ts --from /tmp/stage1.json --iters 200 --lr 0.0015 --restart 0.25 --seed 2
// The second, from the first's weights at half the rate, starts a quarter of the walks from rest
// (the first steps from rest are backwards) and keeps the first stage's record in `training`.
import './v8-flags';
import { readFileSync, writeFileSync } from 'node:fs';
import { requestGpu } from '../src/gpu/device';
import { readF32, writeBuffer } from '../src/gpu/buffers';
import { Adam } from '../src/opt/adam';
import { Random } from '../src/core/rng';
import { Rollout, RolloutError } from '../src/core/rollout';
import { positionField } from '../src/core/simulator';
import { createSimulator } from '../src/simulators';
import { ParameterVector } from '../src/opt/parameters';
import type { ControlledSim } from '../src/control/controlled-sim';
import { heldSpeeds } from '../src/control/held-speed';
import { build, PERIOD_STEPS, TRAIN_SPEEDS } from '../scenes/spring-walker-demo-2d';
import { validateScene } from '../src/mpm/validate';
import type { ControllerLayout } from '../src/control/controller';

/**
 * A gait to start from, as weights: channel k's pre-tanh output is amp sin(2 pi phase + q_k)
 * cos(pi/4 (1 - goal)), goal the normalised command (-1 at the slowest, +1 at the fastest): the
 * quarter-period offsets q = 0, pi/2, pi/4, 3 pi/4 of spring-robot-2d's open-loop gait (which walks
 * forward at small amplitudes), with an amplitude that grows from 0 at the slowest command. Two hidden
 * units a channel, sin(+-e s + b) with s = sin(2 pi phase + q_k), b = pi/4 (1 - goal): their difference
 * is 2 sin(e s) cos(b), about 2 e s cos(b) for small e. The other hidden units start silent.
 */
function sineGait(lay: ControllerLayout, amp: number): Float64Array {
  if (lay.sizes.length !== 3 || lay.phase < 0 || lay.goal < 0) throw new Error('sineGait: one hidden layer, phase and goal inputs');
  const [F, H, A] = lay.sizes, o1 = lay.weightOffsets[1], e = 0.3;
  if (H < 2 * A) throw new Error(`sineGait: ${H} hidden units, needs ${2 * A}`);
  const q = [0, Math.PI / 2, Math.PI / 4, (3 * Math.PI) / 4];
  const th = new Float64Array(lay.weights);
  for (let k = 0; k < A; k++) {
    for (const [u, s] of [[2 * k, 1], [2 * k + 1, -1]] as const) {
      th[u * F + lay.phase] = s * e * Math.cos(q[k]);
      th[u * F + lay.phase + 1] = s * e * Math.sin(q[k]);
      th[u * F + lay.goal] = -Math.PI / 4;
      th[F * H + u] = Math.PI / 4;
      th[o1 + k * H + u] = (s * amp) / (2 * e);
    }
  }
  return th;
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const iters = Number(opt('--iters', '250'));
const B = Number(opt('--batch', '8'));
const T = Number(opt('--horizon', String(2 * PERIOD_STEPS)));
const lr = Number(opt('--lr', '0.003'));
const clip = Number(opt('--clip', '1'));
const seed = Number(opt('--seed', '1'));
/** Per copy and rollout: the chance its command is redrawn, and that it starts again from rest. */
const redraw = Number(opt('--redraw', '0.25'));
const restart = Number(opt('--restart', '0.1'));
const out = opt('--out', 'scenes/data/spring-walker-demo-2d.json');
const startFrom = opt('--from', '');
/** 'sine': start from spring-robot-2d's open-loop gait scaled by the command (sineGait), 'random': from the seeded weights. */
const init = opt('--init', 'sine');
const amplitude = Number(opt('--amplitude', '1.2'));
const evalSteps = Number(opt('--eval-steps', '4000'));
const evalFrom = Number(opt('--eval-from', '1000'));
const evalSpeeds = opt('--eval', '0,0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08').split(',').map(Number);
if (T % PERIOD_STEPS) throw new RangeError(`--horizon ${T}: allowed a multiple of the clock period, ${PERIOD_STEPS}`);

const lo = Math.min(...TRAIN_SPEEDS), hi = Math.max(...TRAIN_SPEEDS);
const gpu = await requestGpu();
const t0 = performance.now();
try {
  const scene = validateScene(build(T));
  const sim = (await createSimulator(gpu, scene, { batch: B })) as ControlledSim;
  const pv = new ParameterVector(sim, ['controller']);
  const rollout = new Rollout(sim, T, 'auto');
  const from = startFrom ? JSON.parse(readFileSync(startFrom, 'utf8')) as { weights: number[]; training?: unknown } : null;
  const theta = from ? Float64Array.from(from.weights)
    : init === 'sine' ? sineGait(sim.layout, amplitude) : pv.initial();
  const adam = new Adam(theta.length, { lr });
  const rng = new Random(seed);
  const N = sim.state.items, S = sim.state.stride, xo = positionField(sim.state).offset;
  const w = sim.selection().weights, W = w.reduce((a, x) => a + x, 0);
  const rest = sim.state0.slice();
  const comX = (s: Float32Array, c: number) => { let x = 0; for (let i = 0; i < N; i++) x += w[i] * s[(c * N + i) * S + xo]; return x / W; };
  const restX = Array.from({ length: B }, (_, c) => comX(rest, c));
  // copy c starts at command lo + (c + u) / B of the range: every part of it from the first rollout
  const goals = Array.from({ length: B }, (_, c) => lo + ((c + rng.next()) / B) * (hi - lo));
  let state = rest.slice();
  const gFinal = sim.createState('train.g_final');
  const zeroState = new Float32Array(sim.stateBytes / 4);
  const log: { iteration: number; loss: number; gradientNorm: number; seconds: number }[] = [];
  let ema = NaN;
  for (let k = 0; k < iters; k++) {
    sim.writeParams(pv.inputsBatch(Array.from({ length: B }, () => theta)).ctrl);
    sim.setGoals(goals.map((g) => [g]));
    try {
      await rollout.forward(state);
    } catch (e) {
      if (!(e instanceof RolloutError)) throw e;
      console.error(`iter ${k + 1}: ${e.message}; every copy starts again from rest`);
      state = rest.slice();
      continue;
    }
    const fin = await readF32(gpu.device, rollout.final.buf);
    // L = mean_c (v_c - s_c)^2, v_c = (x_T - x_0) / (T dt): dL/dx_T of item i = 2 (v_c - s_c) / (B T dt) m_i / M
    const D = T * scene.dt;
    const v = goals.map((_, c) => (comX(fin, c) - comX(state, c)) / D);
    const loss = v.reduce((a, x, c) => a + (x - goals[c]) ** 2, 0) / B;
    const g = new Float32Array(zeroState.length);
    for (let c = 0; c < B; c++) for (let i = 0; i < N; i++) g[(c * N + i) * S + xo] = (2 * (v[c] - goals[c]) * w[i]) / (B * D * W);
    writeBuffer(gpu.device, gFinal, g);
    await rollout.backward(gFinal);
    const gCtrl = await readF32(gpu.device, sim.paramGrad);
    const grad = new Float64Array(theta.length);
    for (let c = 0; c < B; c++) { const gc = pv.gradient(zeroState, gCtrl, theta, c); for (let i = 0; i < grad.length; i++) grad[i] += gc[i]; }
    const norm = Math.sqrt(grad.reduce((a, x) => a + x * x, 0));
    if (!Number.isFinite(norm)) { console.error(`iter ${k + 1}: non-finite gradient; skipped`); state = rest.slice(); continue; }
    if (norm > clip) for (let i = 0; i < grad.length; i++) grad[i] *= clip / norm;
    adam.step(theta, grad);
    ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
    log.push({ iteration: k + 1, loss, gradientNorm: norm, seconds: (performance.now() - t0) / 1000 });
    console.error(`iter ${k + 1}/${iters}  loss ${loss.toExponential(2)}  ema ${ema.toExponential(2)}  |g| ${norm.toExponential(2)}  `
      + goals.map((s, c) => `${s.toFixed(2)}:${v[c].toFixed(3)}`).join(' '));
    // walk on: carried back to the start along x, some copies from rest, some with a new command
    state = fin;
    for (let c = 0; c < B; c++) {
      if (rng.next() < restart) state.set(rest.subarray(c * N * S, (c + 1) * N * S), c * N * S);
      else { const dx = comX(state, c) - restX[c]; for (let i = 0; i < N; i++) state[(c * N + i) * S + xo] -= dx; }
      if (rng.next() < redraw) goals[c] = lo + rng.next() * (hi - lo);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  gFinal.destroy();
  rollout.destroy();
  sim.destroy();
  const evalScene = validateScene(build());
  const r = await heldSpeeds(gpu, evalScene, theta, evalSpeeds, { steps: evalSteps, from: evalFrom, every: 250 });
  for (let k = 1; k < r.com.length; k += 2) {
    console.error(`steps ${(k - 1) * 250}-${(k + 1) * 250}: ` + evalSpeeds.map((s, c) => `${s} -> ${(((r.com[Math.min(k + 1, r.com.length - 1)][c] - r.com[k - 1][c]) / 0.5)).toFixed(3)}`).join('  '));
  }
  console.error(`held from step ${evalFrom} to ${evalSteps}: ` + evalSpeeds.map((s, c) => `${s} -> ${r.held[c].toFixed(3)}`).join('  '));
  const data = {
    scene: 'spring-walker-demo-2d',
    about: 'weights of the spring-walker-demo-2d controller for the page\'s walker demo; made by scripts/train-walker-demo.ts',
    training: [...(from?.training ? [from.training].flat() : []), { iterations: iters, batch: B, horizon: T, lr, clip, seed, redraw, restart, seconds: Math.round(trainSeconds), finalLossEma: ema, ...(from ? { from: startFrom } : {}) }],
    heldSpeeds: evalSpeeds.map((s, c) => ({ commanded: s, achieved: Number(r.held[c].toFixed(4)) })),
    heldFrom: evalFrom, heldTo: evalSteps,
    weights: Array.from(theta, (x) => Number(Math.fround(x).toPrecision(8))),
  };
  writeFileSync(out, JSON.stringify(data) + '\n');
  console.log(`wrote ${out} (${JSON.stringify(data).length} bytes); trained in ${trainSeconds.toFixed(0)} s`);
} finally {
  gpu.destroy();
}
