// Objective fuzz: random GPU losses (weighted sums of every state kind, over item subsets and
// groups, some observing a step along the way) on the registry's scenes, random parameters,
// steps, checkpoints, windows and MPM sortEvery. Checked to the bit: a repeated gradient, a
// checkpointed one against the full tape's (also windowed), each point of a population (batch
// copies, in either order) against its own gradient's loss, and a tunedScene file's loss
// (sceneLoss, as `torsion run` gives a best-scene.json's) against the tuned point's.
//
//   npx torsion exec scripts/objective-fuzz.ts [--cases N] [--seed S] [--only NAME]
import { parseArgs } from 'node:util';
import {
  requestGpu, createSimulator, createObjective, sceneLoss, RolloutError, buildScene, sceneNames, tunedScene, exportSceneJson,
  parseSceneJson, paramNames, type Scene, type LossDesc,
} from 'torsion';
import { sceneResolution } from '../scenes/index';
import { shapeOptions } from '../src/opt/parameters';
import { mulberry32 } from '../src/core/rng';

const { values: a } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' } } });
const CASES = Number(a.cases ?? 20), SEED = Number(a.seed ?? 1);
let R = mulberry32(1);
const rnd = (lo: number, hi: number) => lo + (hi - lo) * R();
const rint = (lo: number, hi: number) => Math.floor(rnd(lo, hi + 1));
const pick = <T>(xs: T[]): T => xs[Math.floor(R() * xs.length)];
const bits = (x: ArrayLike<number>) => Buffer.from(Float64Array.from(x).buffer).toString('hex');

const tally = new Map<string, { pass: number; fail: number }>();
const failures: string[] = [];
let tag = '';
function check(prop: string, kind: string, ok: boolean, detail: () => string) {
  const key = `${prop} | ${kind}`;
  const t = tally.get(key) ?? { pass: 0, fail: 0 };
  if (ok) t.pass++; else { t.fail++; const m = `FAIL ${key}: ${detail()}`; failures.push(`${tag}: ${m}`); console.log(`  ${m}`); }
  tally.set(key, t);
}

function randomTerm(dim: number, items: number, groups: number, T: number, hasGoal: boolean): LossDesc {
  const group = groups > 1 && R() < 0.5 ? rint(0, groups - 1) : undefined;
  const step = T > 1 && R() < 0.3 ? rint(1, T - 1) : undefined;
  const pt = () => Array.from({ length: dim }, () => rnd(0.2, 0.8));
  const g = group === undefined ? {} : { group };
  const st = step === undefined ? {} : { step };
  const k = pick(['com-target', 'com-travel', 'region-fraction', 'match-positions', 'match-pairs', ...(hasGoal ? ['com-speed'] : [])]);
  switch (k) {
    case 'com-target': return { kind: 'com-target', ...g, ...st, target: pt() };
    case 'com-travel': return { kind: 'com-travel', ...g, ...st, axis: rint(0, dim - 1), direction: pick([1, -1]) as 1 | -1 };
    case 'com-speed': return { kind: 'com-speed', ...g, axis: 0 };
    case 'region-fraction': { const lo = pt().map((x) => x - 0.2); return { kind: 'region-fraction', ...g, ...st, target: { min: lo, max: lo.map((x) => x + 0.3) }, width: rnd(0.005, 0.05) }; }
    case 'match-positions': {
      const n = rint(1, Math.min(items, 12));
      const idx = [...new Set(Array.from({ length: n }, () => rint(0, items - 1)))];
      return { kind: 'match-positions', ...st, items: idx, target: idx.map(pt) };
    }
    default: {
      const perm = Array.from({ length: items }, (_, i) => i).sort(() => R() - 0.5);
      const np = rint(1, Math.min(6, Math.floor(items / 2)));
      return { kind: 'match-pairs', ...st, pairs: Array.from({ length: np }, (_, i) => [perm[2 * i], perm[2 * i + 1]]) };
    }
  }
}

/** The scene at n steps: a gripper's track may not have more rows. */
function cutSteps<S extends Record<string, any>>(s: S, n: number): S {
  (s as Record<string, any>).steps = n;
  for (const g of s.grippers ?? []) g.position = g.position.slice(0, n);
  return s;
}

const gpu = await requestGpu();
const names = sceneNames.filter((n) => n !== 'robot-chase-mpc-2d');
let skipped = 0;
const t0 = performance.now();
for (let c = 0; c < CASES; c++) {
  R = mulberry32(SEED * 7919 + c);
  const name = a.only ?? pick(names);
  const r = sceneResolution(name);
  const scene = buildScene(name, r ? { resolution: r.min } : {}) as Scene & Record<string, any>;
  const isMpm = (scene.kind ?? 'mpm') === 'mpm';
  const slow = name === 'mpm-walker-mlp-2d';
  const T = slow ? rint(2, 10) : pick([1, rint(2, 9), rint(10, 60)]);
  cutSteps(scene, Math.max(T, rint(T, T + 20)));
  if (scene.optimize) delete scene.optimize.goals;
  if (isMpm) scene.sortEvery = rint(0, 7) * (R() < 0.6 ? 1 : 0);
  delete scene.loss;
  const probe = await createSimulator(gpu, scene);
  const items = probe.state.items, groups = isMpm ? scene.groups.length : 1;
  probe.destroy();
  const hasGoal = !!scene.controller?.inputs?.includes('goal');
  const nt = rint(1, 3);
  scene.loss = nt === 1 && R() < 0.5 ? randomTerm(scene.dim, items, groups, T, hasGoal)
    : { kind: 'weighted-sum', terms: Array.from({ length: nt }, () => ({ weight: rnd(-1, 2), loss: randomTerm(scene.dim, items, groups, T, hasGoal) as never })) };
  let params = paramNames(scene).filter(() => R() < 0.5);
  params = params.filter((n) => !(/\.(position|velocity|orientation|angularVelocity)$/.test(n) && params.includes(n.replace(/\.\w+$/, '.waypoints'))) && !(n === 'actuation' && params.includes('actuation.periodic')));
  if (T < 6) params = params.filter((n) => !n.endsWith('.waypoints'));
  if (!params.length) params = [paramNames(scene)[0]];
  const K = pick(['auto', rint(1, T + 1), 'full'] as const) as 'auto' | 'full' | number;
  const kind = name;
  tag = `case ${c} seed ${SEED} ${name} T=${T} steps=${scene.steps} sortEvery=${scene.sortEvery ?? '-'} ckpt=${K} params=${params.join(',')} loss=${JSON.stringify(scene.loss).slice(0, 200)}`;
  console.log(tag);
  const objs: { destroy(): void }[] = [];
  try {
    const shape = shapeOptions(scene as never);
    const o1 = await createObjective(gpu, scene, { params, steps: T, checkpoint: K, shape }); objs.push(o1);
    const oF = await createObjective(gpu, scene, { params, steps: T, checkpoint: 'full', shape }); objs.push(oF);
    const th0 = o1.initial();
    const thetas = Array.from({ length: rint(2, 4) }, () => {
      const th = th0.slice();
      for (let i = 0; i < th.length; i++) th[i] += (Math.abs(th[i]) > 0.5 ? th[i] * 0.05 : 0.01) * rnd(-1, 1);
      o1.clamp(th); return th;
    });
    const v1 = await o1.gradient(thetas[0]);
    const v2 = await o1.gradient(thetas[0]);
    check('O repeat', kind, bits([v1.loss, ...v1.gradient]) === bits([v2.loss, ...v2.gradient]), () => `${v1.loss} vs ${v2.loss}`);
    const vF = await oF.gradient(thetas[0]);
    check('O ckpt=full', kind, bits([v1.loss, ...v1.gradient]) === bits([vF.loss, ...vF.gradient]), () => `loss ${v1.loss} vs ${vF.loss}; grad max |d| ${Math.max(...v1.gradient.map((g, i) => Math.abs(g - vF.gradient[i]))).toExponential(2)}`);
    const Ls = await o1.losses(thetas);
    for (let k = 0; k < thetas.length; k++) {
      const v = k === 0 ? v1 : await o1.gradient(thetas[k]);
      check('O population copy = point', kind, Object.is(Ls[k], v.loss), () => `point ${k}: ${Ls[k]} vs ${v.loss}`);
    }
    const Lr = await o1.losses([...thetas].reverse());
    check('O population order', kind, bits(Lr) === bits([...Ls].reverse()), () => `${Lr} vs ${[...Ls].reverse()}`);
    // window: full vs checkpointed
    if (T > 2 && !params.includes('initialVelocity') && !(JSON.stringify(scene.loss).includes('"step"'))) {
      const W = rint(1, T - 1);
      const ow = await createObjective(gpu, scene, { params, steps: T, checkpoint: K, shape, window: W }); objs.push(ow);
      const owF = await createObjective(gpu, scene, { params, steps: T, checkpoint: 'full', shape, window: W }); objs.push(owF);
      const a1 = await ow.gradient(thetas[1]), a2 = await owF.gradient(thetas[1]);
      check('O window ckpt=full', kind, bits(a1.gradient) === bits(a2.gradient), () => `W=${W}`);
    }
    // tuned scene, exported and read back, scores the point's loss
    {
      const sc = cutSteps(structuredClone(scene), T);
      const oT = await createObjective(gpu, sc, { params, steps: T, checkpoint: K, shape }); objs.push(oT);
      const thT = oT.initial();
      for (let i = 0; i < thT.length; i++) thT[i] += (Math.abs(thT[i]) > 0.5 ? thT[i] * 0.05 : 0.01) * rnd(-1, 1);
      oT.clamp(thT);
      const vT = await oT.gradient(thT);
      const tuned = parseSceneJson(exportSceneJson(tunedScene(sc, oT.params, thT)));
      const sl = await sceneLoss(gpu, tuned);
      check('O tunedScene loss', kind, Object.is(sl.loss, vT.loss), () => `${sl.loss} vs ${vT.loss}`);
    }
  } catch (e) {
    if (e instanceof RolloutError) { skipped++; console.log(`  skipped: ${e.message.slice(0, 100)}`); }
    else { failures.push(`${tag}: ERROR ${(e as Error).stack?.slice(0, 500)}`); console.log(`  ERROR ${(e as Error).stack?.slice(0, 500)}`); }
  } finally { for (const o of objs) o.destroy(); }
}
console.log(`\n${CASES} cases, ${skipped} skipped, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const [k, t] of [...tally].sort()) console.log(`${k.padEnd(50)} pass ${t.pass} fail ${t.fail}`);
console.log(failures.length ? `\n${failures.length} failures:\n${failures.join('\n')}` : '\nno failures');
gpu.destroy();
