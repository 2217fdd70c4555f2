// Property fuzz of the promises every simulator keeps (README, docs/library.md): random scenes (the
// registry's at their smallest resolution, and random MPM scenes: 1-3 groups of any material,
// actuators, 0-2 moving and turning colliders), random batch sizes (1-5, sometimes 16 or 33),
// 1-80 steps, checkpoint schedules, windows, injected gradients and MPM sortEvery 0-7, with each
// batch copy's inputs nudged apart. Compared byte for byte: a repeated run; checkpointed with the
// full tape (also windowed and with an injected gradient); each batch copy with its own B = 1
// run (raw records and through ParameterVector); springs' split adjoint with the fused one;
// replay frames with kept states; an exported and re-read scene and a tunedScene file with the
// run they came from. Sorted runs are compared with unsorted ones loosely (not the same sums):
// within 1% (states) and 5% (gradients), or 4x what a 1e-6 nudge of one velocity moves them.
// API edges: backward twice, forward after backward, a rollout reused, one of another length
// in between. Each case takes a few seconds on 2 cores; a failure prints its case line, whose
// --seed and index rerun it (--only NAME: one scene; 'random-mpm' for the generated ones).
//
//   npx torsion exec scripts/property-fuzz.ts [--cases N] [--seed S] [--only NAME]
import { parseArgs } from 'node:util';
import {
  requestGpu, createSimulator, Rollout, RolloutError, readF32, buildScene, sceneNames, sceneBase, addGroup, fillBox,
  fillSphere, addCollider, linearTrack, setActuation, finalizeScene, gravity, exportSceneJson, parseSceneJson,
  ParameterVector, tunedScene, paramNames, recordFrames, positionsOf, type Scene, type Simulator, type MpmScene, type CheckpointMode,
} from 'torsion';
import { sceneResolution } from '../scenes/index';
import { shapeOptions } from '../src/opt/parameters';
import { mulberry32 } from '../src/core/rng';

const { values: a } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' }, verbose: { type: 'boolean' } } });
const CASES = Number(a.cases ?? 20), SEED = Number(a.seed ?? 1);

let R = mulberry32(1);
const rnd = (lo: number, hi: number) => lo + (hi - lo) * R();
const rint = (lo: number, hi: number) => Math.floor(rnd(lo, hi + 1));
const pick = <T>(xs: T[]): T => xs[Math.floor(R() * xs.length)];

const same = (x: Float32Array, y: Float32Array) => x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
function firstDiff(x: Float32Array, y: Float32Array): string {
  if (x.length !== y.length) return `length ${x.length} vs ${y.length}`;
  let n = 0, first = -1, md = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) { n++; if (first < 0) first = i; md = Math.max(md, Math.abs(x[i] - y[i])); }
  return `${n} differ, first [${first}] ${x[first]} vs ${y[first]}, max |d| ${md.toExponential(2)}`;
}

// ---- scenes ---------------------------------------------------------------------------------
function randomMpm(): MpmScene {
  const dim = pick([2, 2, 3]) as 2 | 3;
  const res = dim === 2 ? rint(16, 40) : rint(14, 18);
  const dx = 1 / res;
  const s = sceneBase({ name: 'fuzz-mpm', dim, res: Array(dim).fill(res), dt: 0, steps: 80, gravity: gravity(dim),
    boundary: { walls: pick(['sticky', 'slip', 'separate']), groundFriction: rnd(0, 1), boundCells: 3 } as never });
  const ng = rint(1, 3);
  let maxE = 0, channels = 0;
  for (let g = 0; g < ng; g++) {
    const material = pick(['fluid', 'elastic', 'elastoplastic'] as const);
    const E = material === 'fluid' ? rnd(100, 1000) : rnd(300, 3000);
    maxE = Math.max(maxE, E);
    const desc: any = { name: `g${g}`, material, E, nu: rnd(0.1, 0.4), density: rnd(0.5, 2) };
    if (material === 'fluid') desc.viscosity = pick([0, rnd(0, 0.1)]);
    if (material === 'elastoplastic') desc.plastic = { thetaC: rnd(0.01, 0.05), thetaS: rnd(0.005, 0.02) };
    if (material !== 'fluid' && R() < 0.5) desc.actuator = { channel: channels++, strength: rnd(50, 300), fiber: dim === 2 ? [1, 0] : [0, 1, 0] };
    const gi = addGroup(s, desc);
    const w = rint(3, dim === 2 ? 8 : 5) * dx, lo = Array.from({ length: dim }, (_, i) => Math.min(1 - 4 * dx - w, Math.max(4 * dx, i === 1 ? rnd(0.1, 0.4) : rnd(0.15, 0.75 - w))));
    const ppc = dim === 2 ? rint(1, 2) : 1;
    const vel = Array.from({ length: dim }, () => rnd(-1, 1));
    if (R() < 0.7) fillBox(s, gi, lo, lo.map((l) => l + w), { ppc, velocity: vel, jitter: pick([0, 0.3]), seed: rint(1, 99) });
    else fillSphere(s, gi, lo.map((l) => l + w / 2), w / 2, { ppc, velocity: vel });
  }
  // a stable dt: 0.9 dx / wave speed with a margin
  const rho = Math.min(...s.groups.map((g) => g.density));
  const c = Math.sqrt(maxE * 3 / rho);
  s.dt = Math.min(4e-4, 0.3 * dx / (c + 5));
  const T = s.steps;
  if (channels) setActuation(s, channels, Array.from({ length: T * channels }, () => rnd(-1, 1)));
  const nc = rint(0, 2);
  for (let k = 0; k < nc; k++) {
    const shape = pick(['box', 'sphere', 'capsule'] as const);
    const p0 = Array.from({ length: dim }, (_, i) => (i === 1 ? rnd(0.05, 0.3) : rnd(0.2, 0.8)));
    const v = Array.from({ length: dim }, () => rnd(-0.5, 0.5));
    const c: any = { shape, friction: rnd(0, 1), position: R() < 0.3 ? [p0] : linearTrack(p0, v, rint(1, T), s.dt), velocity: [v] };
    if (shape === 'box') { c.halfExtents = Array.from({ length: dim }, () => rnd(0.03, 0.1)); c.radius = rnd(0, 0.01); }
    if (shape === 'sphere') c.radius = rnd(0.03, 0.1);
    if (shape === 'capsule') { c.halfExtents = Array.from({ length: dim }, (_, i) => (i === 0 ? rnd(0.02, 0.08) : 0)); c.radius = rnd(0.02, 0.05); }
    if (R() < 0.4) { c.orientation = [dim === 2 ? [rnd(0, 3)] : [0, 0, Math.sin(0.3), Math.cos(0.3)]]; c.angularVelocity = [dim === 2 ? [rnd(-2, 2)] : [0, rnd(-2, 2), 0]]; }
    addCollider(s, c);
  }
  return finalizeScene(s);
}

function registryScene(name: string): Scene {
  const r = sceneResolution(name);
  return buildScene(name, r ? { resolution: r.min + (R() < 0.2 ? 1 : 0) } : {});
}

// ---- inputs ---------------------------------------------------------------------------------
interface Inputs { state0: Float32Array; ctrl: Float32Array; gF: Float32Array }

/** Copy b's inputs: the scene's state with its velocities nudged, each control block nudged in range. */
function randomInputs(sim: Simulator, scale: number): Inputs {
  const { items, stride, fields } = sim.state;
  const state0 = sim.state0.slice();
  const v = fields.find((f) => f.name === 'v');
  const ctrl = sim.paramValues.slice();
  const gF = new Float32Array(state0.length);
  for (let i = 0; i < gF.length; i++) gF[i] = R() < 0.5 ? 0 : rnd(-1, 1);
  for (let b = 0; b < sim.batch; b++) {
    if (v && scale > 0) for (let i = 0; i < items; i++) for (let k = 0; k < v.length; k++) state0[(b * items + i) * stride + v.offset + k] += scale * rnd(-0.2, 0.2);
    const vals = sim.params.values(b);
    if (scale > 0) for (const blk of sim.params.blocks) {
      for (const i of blk.indices) {
        const x = vals[i];
        let y = blk.kind === 'material' ? x * (1 + scale * rnd(-0.1, 0.1))
          : blk.kind === 'actuation' ? x + scale * rnd(-0.2, 0.2)
          : blk.kind === 'track' ? x + scale * rnd(-0.005, 0.005)
          : x * (1 + scale * rnd(-0.05, 0.05));
        if (blk.min !== undefined) y = Math.max(blk.min, y);
        if (blk.max !== undefined) y = Math.min(blk.max * 0.999, y);
        vals[i] = y;
      }
    }
    sim.params.pack(ctrl, b, vals);
  }
  return { state0, ctrl, gF };
}

/** Copy b of batched inputs as batch-1 inputs for `one`. */
function copyOf(sim: Simulator, one: Simulator, inp: Inputs, b: number): Inputs {
  const n = one.state0.length;
  const tailN = (sim.state.tail ?? []).reduce((s, t) => s + t.length, 0);
  const rec = sim.state.items * sim.state.stride;
  const pick1 = (src: Float32Array) => {
    const out = new Float32Array(n);
    out.set(src.subarray(b * rec, (b + 1) * rec), 0);
    if (tailN) out.set(src.subarray(sim.batch * rec + b * tailN, sim.batch * rec + (b + 1) * tailN), rec);
    return out;
  };
  const ctrl = one.paramValues.slice();
  one.params.pack(ctrl, 0, sim.params.unpack(inp.ctrl, b));
  return { state0: pick1(inp.state0), ctrl, gF: pick1(inp.gF) };
}
function copySlice(sim: Simulator, x: Float32Array, b: number): Float32Array {
  const tailN = (sim.state.tail ?? []).reduce((s, t) => s + t.length, 0);
  const rec = sim.state.items * sim.state.stride;
  const out = new Float32Array(rec + tailN);
  out.set(x.subarray(b * rec, (b + 1) * rec), 0);
  if (tailN) out.set(x.subarray(sim.batch * rec + b * tailN, sim.batch * rec + (b + 1) * tailN), rec);
  return out;
}

interface Run { final: Float32Array; g0: Float32Array; gc: Float32Array }

/** A rollout keeping state t, and its backward with gi injected at t: the kept state and both gradients. */
async function injected(s: Simulator, T: number, mode: CheckpointMode, inp: Inputs, t: number, gi: Float32Array) {
  s.writeParams(inp.ctrl);
  const r = new Rollout(s, T, mode);
  await r.forward(inp.state0, { keep: [t] });
  const kept = await readF32(s.device, r.kept(t));
  const gBuf = s.createState('gF', inp.gF), gI = s.createState('gI', gi);
  const g0 = await readF32(s.device, await r.backward(gBuf, { inject: new Map([[t, gI]]) }));
  const gc = await readF32(s.device, s.paramGrad);
  r.destroy(); gBuf.destroy(); gI.destroy();
  return { kept, g0, gc };
}

async function run(sim: Simulator, T: number, mode: 'auto' | 'full' | number, inp: Inputs, window?: number): Promise<Run> {
  sim.writeParams(inp.ctrl);
  const r = new Rollout(sim, T, mode);
  try {
    await r.forward(inp.state0);
    const final = await readF32(sim.device, r.final.buf);
    const gBuf = sim.createState('gF', inp.gF);
    const g0 = await readF32(sim.device, await r.backward(gBuf, window ? { window } : {}));
    const gc = await readF32(sim.device, sim.paramGrad);
    gBuf.destroy();
    return { final, g0, gc };
  } finally { r.destroy(); }
}

// ---- checks ---------------------------------------------------------------------------------
const tally = new Map<string, { pass: number; fail: number }>();
const failures: string[] = [];
function check(prop: string, kind: string, ok: boolean, detail: () => string) {
  const key = `${prop} | ${kind}`;
  const t = tally.get(key) ?? { pass: 0, fail: 0 };
  if (ok) t.pass++; else { t.fail++; const msg = `FAIL ${key}: ${detail()}`; failures.push(`${caseTag}: ${msg}`); console.log(`  ${msg}`); }
  tally.set(key, t);
}
function cmpRun(prop: string, kind: string, x: Run, y: Run, parts: (keyof Run)[] = ['final', 'g0', 'gc']) {
  for (const p of parts) check(`${prop}.${p}`, kind, same(x[p], y[p]), () => firstDiff(x[p], y[p]));
}
let caseTag = '';

const gpu = await requestGpu();
const kinds = [...sceneNames, 'random-mpm', 'random-mpm', 'random-mpm', 'random-mpm'];
let skipped = 0;
const t0 = performance.now();
for (let c = 0; c < CASES; c++) {
  R = mulberry32(SEED * 100003 + c);
  const name = a.only ?? pick(kinds);
  const scene = name === 'random-mpm' ? randomMpm() : registryScene(name);
  const isMpm = (scene.kind ?? 'mpm') === 'mpm';
  const hasCtrl = !!(scene as { controller?: unknown }).controller;
  const slow = name === 'mpm-walker-mlp-2d';
  const T = slow ? rint(2, 12) : pick([1, rint(2, 9), rint(10, 80), rint(10, 80)]);
  const big = !slow && R() < 0.08;
  const B = slow ? rint(1, 2) : big ? pick([16, 33]) : rint(1, 5);
  const sortEvery = isMpm ? rint(0, 7) * (R() < 0.7 ? 1 : 0) : 0;
  const K = pick(['auto', rint(1, Math.max(1, T + 2)), rint(1, 4)] as const) as 'auto' | number;
  const W = rint(1, T + 2);
  const kind = `${name}${hasCtrl ? '' : ''}`;
  caseTag = `case ${c} seed ${SEED} ${name} T=${T} B=${B} sortEvery=${sortEvery} ckpt=${K} window=${W}`;
  console.log(caseTag);
  let sim: Simulator | null = null, one: Simulator | null = null, sceneCtrl1: Float32Array | null = null;
  try {
    sim = await createSimulator(gpu, scene, { batch: B, sortEvery });
    const sceneCtrlB = sim.paramValues.slice();
    const inp = randomInputs(sim, 1);
    // 1. reproducible, 3. checkpointed = full tape
    const full = await run(sim, T, 'full', inp);
    const ck = await run(sim, T, K, inp);
    const ck2 = await run(sim, T, K, inp);
    cmpRun('P1 repeat', kind, ck, ck2);
    cmpRun('P3 ckpt=full', kind, ck, full);
    const fw = await run(sim, T, 'full', inp, W), cw = await run(sim, T, K, inp, W);
    cmpRun('P3 window ckpt=full', kind, cw, fw, ['g0', 'gc']);
    if (W >= T) cmpRun('P3 window>=T = no window', kind, cw, full, ['g0', 'gc']);
    // edges: full tape backward twice, forward again after backward, inject
    {
      sim.writeParams(inp.ctrl);
      const r = new Rollout(sim, T, 'full');
      await r.forward(inp.state0);
      const gBuf = sim.createState('gF', inp.gF);
      const ga = await readF32(sim.device, await r.backward(gBuf));
      const gca = await readF32(sim.device, sim.paramGrad);
      const gb = await readF32(sim.device, await r.backward(gBuf));
      const gcb = await readF32(sim.device, sim.paramGrad);
      check('E backward twice (full).g0', kind, same(ga, gb), () => firstDiff(ga, gb));
      check('E backward twice (full).gc', kind, same(gca, gcb), () => firstDiff(gca, gcb));
      await r.forward(inp.state0);
      const f2 = await readF32(sim.device, r.final.buf);
      check('E forward after backward', kind, same(f2, full.final), () => firstDiff(f2, full.final));
      r.destroy(); gBuf.destroy();
    }
    if (T >= 2) {
      // inject at step t: full tape vs checkpointed
      const t = rint(0, T - 1);
      const gi = new Float32Array(inp.gF.length).map(() => rnd(-1, 1));
      const res: Run[] = [];
      for (const mode of ['full', K] as const) {
        const { kept, g0, gc } = await injected(sim, T, mode, inp, t, gi);
        res.push({ final: kept, g0, gc });
      }
      cmpRun(`P3 inject`, kind, res[1], res[0]);
    }
    // a checkpointed backward twice: refused by name (documented), unless the schedule keeps every state
    {
      sim.writeParams(inp.ctrl);
      const r = new Rollout(sim, T, K);
      await r.forward(inp.state0);
      const gBuf = sim.createState('gF', inp.gF);
      await r.backward(gBuf);
      let refused = false, second: Float32Array | null = null;
      try { second = await readF32(sim.device, await r.backward(gBuf)); } catch (e) { refused = /once per forward/.test((e as Error).message); }
      check('E ckpt backward twice', kind, refused || (second !== null && same(second, ck.g0)), () => `mode ${r.schedule.mode}: neither refused nor equal`);
      r.destroy(); gBuf.destroy();
    }
    // re-using a rollout with new inputs
    {
      const inp2 = randomInputs(sim, 0.5);
      sim.writeParams(inp2.ctrl);
      // a rollout of another length on the same simulator first, forward and backward
      const other = new Rollout(sim, rint(1, 2 * T + 3), pick(['auto', 'full', 2] as const) as 'auto');
      await other.forward(inp2.state0);
      const gO = sim.createState('gO', inp2.gF);
      await other.backward(gO);
      gO.destroy(); other.destroy();
      const r = new Rollout(sim, T, K);
      await r.forward(inp2.state0);
      sim.writeParams(inp.ctrl);
      await r.forward(inp.state0);
      const f = await readF32(sim.device, r.final.buf);
      const gBuf = sim.createState('gF', inp.gF);
      const g0 = await readF32(sim.device, await r.backward(gBuf));
      const gc = await readF32(sim.device, sim.paramGrad);
      cmpRun('E reuse rollout', kind, { final: f, g0, gc }, ck);
      r.destroy(); gBuf.destroy();
    }
    // 2. batched = own B = 1 runs
    if (B > 1) {
      one = await createSimulator(gpu, scene, { batch: 1, sortEvery });
      sceneCtrl1 = one.paramValues.slice();
      const copies = big ? [0, rint(1, B - 2), B - 1] : Array.from({ length: B }, (_, b) => b);
      for (const b of copies) {
        const ib = copyOf(sim, one, inp, b);
        if (sim.goalOf && (one as any).setGoals) (one as any).setGoals([sim.goalOf(b)]);
        const r1 = await run(one, T, K, ib);
        const fb = copySlice(sim, ck.final, b), gb = copySlice(sim, ck.g0, b);
        check('P2 batch copy.final', kind, same(fb, r1.final), () => `copy ${b}: ${firstDiff(fb, r1.final)}`);
        check('P2 batch copy.g0', kind, same(gb, r1.g0), () => `copy ${b}: ${firstDiff(gb, r1.g0)}`);
        const u1 = Float32Array.from(one.params.unpack(r1.gc, 0)), ub = Float32Array.from(sim.params.unpack(ck.gc, b));
        check('P2 batch copy.gc', kind, same(ub, u1), () => `copy ${b}: ${firstDiff(ub, u1)}`);
      }
    }
    // 2 through ParameterVector: a batch of thetas, copy b's gradient = its own batch-1 run's
    if (B > 1 && one) {
      let names = paramNames(scene).filter(() => R() < 0.5);
      names = names.filter((n) => !(/\.(position|velocity|orientation|angularVelocity)$/.test(n) && names.includes(n.replace(/\.\w+$/, '.waypoints'))) && !(n === 'actuation' && names.includes('actuation.periodic')));
      if (names.length) {
        // the entries theta does not name are the controls each simulator holds: the scene's in both
        sim.writeParams(sceneCtrlB); one.writeParams(sceneCtrl1!);
        const pvB = new ParameterVector(sim, names, shape(scene)), pv1 = new ParameterVector(one, names, shape(scene));
        const th0 = pvB.initial();
        const thetas = Array.from({ length: B }, () => { const th = th0.slice(); for (let i = 0; i < th.length; i++) th[i] += (Math.abs(th[i]) > 0.5 ? th[i] * 0.03 : 0.005) * rnd(-1, 1); pvB.clamp(th); return th; });
        const { state0, ctrl } = pvB.inputsBatch(thetas);
        const rb = await run(sim, T, K, { state0, ctrl, gF: inp.gF });
        const b = rint(0, B - 1);
        if (sim.goalOf && (one as any).setGoals) (one as any).setGoals([sim.goalOf(b)]);
        const i1 = pv1.inputs(thetas[b]);
        const r1 = await run(one, T, K, { state0: i1.state0, ctrl: i1.ctrl, gF: copySlice(sim, inp.gF, b) });
        const gB = Float32Array.from(pvB.gradient(rb.g0, rb.gc, thetas[b], b)), g1 = Float32Array.from(pv1.gradient(r1.g0, r1.gc, thetas[b]));
        check('P2 ParameterVector copy gradient', kind, same(gB, g1), () => `${names.join(',')} copy ${b}: ${firstDiff(gB, g1)}`);
        const fb = copySlice(sim, rb.final, b);
        check('P2 ParameterVector copy final', kind, same(fb, r1.final), () => `${names.join(',')} copy ${b}: ${firstDiff(fb, r1.final)}`);
      }
    }
    // springs and shells: the split step adjoint gives the fused one's bytes
    if (!isMpm) {
      const split = await createSimulator(gpu, scene, { batch: B, adjoint: 'split' });
      try { cmpRun('A split=auto adjoint', kind, await run(split, T, K, inp), ck); } finally { split.destroy(); }
    }
    // sortEvery: the user's order is kept (close to the unsorted run)
    if (isMpm && sortEvery > 0 && T >= 2) {
      const unsorted = await createSimulator(gpu, scene, { batch: B, sortEvery: 0 });
      const u = await run(unsorted, T, 'full', inp);
      let md = 0, mx = 0;
      for (let i = 0; i < u.final.length; i++) { md = Math.max(md, Math.abs(u.final[i] - ck.final[i])); mx = Math.max(mx, Math.abs(u.final[i])); }
      let gd = 0, gm = 0;
      for (let i = 0; i < u.g0.length; i++) { gd = Math.max(gd, Math.abs(u.g0[i] - ck.g0[i])); gm = Math.max(gm, Math.abs(u.g0[i])); }
      check('S sorted ~ unsorted.final', kind, md <= 1e-2 * mx, () => `max |d| ${md.toExponential(2)} of ${mx.toExponential(2)}`);
      // the scale a gradient moves by anyway: an unsorted run with one velocity nudged by 1e-6
      const nudged = { ...inp, state0: inp.state0.slice() };
      nudged.state0[(sim.state.fields.find((f) => f.name === 'v')?.offset ?? 0)] += 1e-6;
      const un = await run(unsorted, T, 'full', nudged);
      let nd = 0;
      for (let i = 0; i < u.g0.length; i++) nd = Math.max(nd, Math.abs(u.g0[i] - un.g0[i]));
      const gtol = Math.max(5e-2 * gm, 4 * nd);
      check('S sorted ~ unsorted.g0', kind, gd <= gtol, () => `max |d| ${gd.toExponential(2)} of ${gm.toExponential(2)} (a 1e-6 nudge moves it ${nd.toExponential(2)})`);
      const close = (x: Float32Array, y: Float32Array, tol: number) => { let d = 0, m = 0; for (let i = 0; i < x.length; i++) { d = Math.max(d, Math.abs(x[i] - y[i])); m = Math.max(m, Math.abs(y[i])); } return { ok: d <= tol * m || (m === 0 && d === 0), msg: `max |d| ${d.toExponential(2)} of ${m.toExponential(2)}` }; };
      const Wt = rint(1, T - 1);
      const uw = await run(unsorted, T, 'full', inp, Wt), sw = await run(sim, T, K, inp, Wt);
      const cw2 = close(sw.g0, uw.g0, Math.max(5e-2, 4 * nd / gm));
      check('S sorted ~ unsorted window.g0', kind, cw2.ok, () => `window ${Wt}: ${cw2.msg}`);
      // inject at step t, and the kept state there
      const t = rint(1, T - 1), gi = new Float32Array(inp.gF.length).map(() => rnd(-1, 1));
      const outs: { kept: Float32Array; g0: Float32Array }[] = [];
      for (const [s, mode] of [[unsorted, 'full'], [sim!, K]] as const) outs.push(await injected(s, T, mode, inp, t, gi));
      const ck1 = close(outs[1].kept, outs[0].kept, 1e-2), ck2 = close(outs[1].g0, outs[0].g0, Math.max(5e-2, 4 * nd / gm));
      check('S sorted ~ unsorted kept', kind, ck1.ok, () => `step ${t}: ${ck1.msg}`);
      check('S sorted ~ unsorted inject.g0', kind, ck2.ok, () => `step ${t}: ${ck2.msg}`);
      unsorted.destroy();
    }
    // replay frames of the batched simulator = positions of the rollout's kept states (user order)
    {
      const every = rint(1, Math.max(1, Math.min(T, 9)));
      const keep = Array.from({ length: Math.floor(T / every) + 1 }, (_, k) => k * every);
      sim.writeParams(inp.ctrl);
      const r = new Rollout(sim, T, K);
      await r.forward(inp.state0, { keep });
      const want = await Promise.all(keep.map(async (t) => positionsOf(await readF32(sim!.device, r.kept(t)), sim!.state, sim!.dim, sim!.batch)));
      r.destroy();
      const rec = await recordFrames(sim, T, every, inp.state0);
      let ok = rec.frames.length >= want.length, det = `frames ${rec.frames.length} vs ${want.length}`;
      for (let k = 0; ok && k < want.length; k++) if (!same(rec.frames[k], want[k])) { ok = false; det = `frame ${k} (step ${keep[k]}): ${firstDiff(rec.frames[k], want[k])}`; }
      check('P4 replay frames=kept', kind, ok, () => det);
    }
    // 4. export / re-import, recordFrames
    {
      const back = parseSceneJson(exportSceneJson(scene));
      const s1 = await createSimulator(gpu, scene, { batch: 1, sortEvery });
      const s2 = await createSimulator(gpu, back, { batch: 1, sortEvery });
      const r1 = new Rollout(s1, T, 'full'); await r1.forward();
      const r2 = new Rollout(s2, T, 'full'); await r2.forward();
      const f1 = await readF32(s1.device, r1.final.buf), f2 = await readF32(s2.device, r2.final.buf);
      check('P4 export/import', kind, same(f1, f2), () => firstDiff(f1, f2));
      const rec = await recordFrames(s2, T, 1);
      check('P4 recordFrames=rollout', kind, same(rec.final, f2), () => firstDiff(rec.final, f2));
      // tunedScene at a random theta
      let names = paramNames(scene).filter((n) => R() < 0.6);
      names = names.filter((n) => !(/\.(position|velocity|orientation|angularVelocity)$/.test(n) && names.includes(n.replace(/\.\w+$/, '.waypoints'))) && !(n === 'actuation' && names.includes('actuation.periodic')));
      if (names.length) {
        const pv = new ParameterVector(s2, names, shape(scene));
        const theta = pv.initial();
        for (let i = 0; i < theta.length; i++) theta[i] += (Math.abs(theta[i]) > 0.5 ? theta[i] * 0.05 : 0.01) * rnd(-1, 1);
        pv.clamp(theta);
        const ctrlTheta = pv.write(theta);
        const rt = new Rollout(s2, T, 'full'); await rt.forward(ctrlTheta);
        const ft = await readF32(s2.device, rt.final.buf);
        const tuned = parseSceneJson(exportSceneJson(tunedScene(scene, pv, theta)));
        const s3 = await createSimulator(gpu, tuned, { batch: 1, sortEvery });
        const r3 = new Rollout(s3, T, 'full'); await r3.forward();
        const f3 = await readF32(s3.device, r3.final.buf);
        check('P4 tunedScene', kind, same(ft, f3), () => `${names.join(',')}: ${firstDiff(ft, f3)}`);
        rt.destroy(); r3.destroy(); s3.destroy();
      }
      r1.destroy(); r2.destroy(); s2.destroy();
      s1.destroy();
    }
  } catch (e) {
    if (e instanceof RolloutError) { skipped++; console.log(`  skipped: blow-up at ${e.step}: ${e.message.slice(0, 120)}`); }
    else { failures.push(`${caseTag}: ERROR ${(e as Error).stack?.slice(0, 600)}`); console.log(`  ERROR ${(e as Error).stack?.slice(0, 600)}`); }
  } finally { sim?.destroy(); one?.destroy(); }
}

function shape(scene: Scene) { return shapeOptions(scene as never); }

console.log(`\n${CASES} cases, ${skipped} skipped (blow-ups), ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const [k, t] of [...tally].sort()) console.log(`${k.padEnd(60)} pass ${t.pass} fail ${t.fail}`);
console.log(failures.length ? `\n${failures.length} failures:\n${failures.join('\n')}` : '\nno failures');
gpu.destroy();
