// `torsion gradcheck <scene> [--seed S] [--steps N] [--sort-every K] [--json]`: the GPU adjoint sorts
// as the scene's sortEvery says; the float64 reference never does.
import { requestGpu } from '../gpu/device';
import { gradcheck as check, NOISE_FLOOR, F32_SPREADS, type GradcheckProgress } from '../core/gradcheck';
import { gradcheckSubject, type Scene } from '../simulators';

const LEGEND: Record<string, string> = {
  'ok~': 'along a random direction the derivative nearly cancels, so the difference is judged against a typical derivative along one (within 3 tolerances of the block\'s gradient norm over the square root of its entries, and at most the tolerance of that norm); the check along the gradient itself (@gradient) is judged on its own',
  noise: 'the central difference is at its rounding noise (a derivative that is zero to the reference\'s resolution) and so is the analytic value',
  f32: `the difference lies within ${F32_SPREADS} float32 spreads of the analytic value (the spread of the same derivative from adjoints rerun from initial states moved by an ulp, shown as spread): the derivative is as precise as float32 positions let it be, so its relative error is not judged (where the float64 derivative along the GPU forward's trajectory agrees with the central difference, the spread is the adjoint's own and counts only up to ${NOISE_FLOOR} of the report's largest derivative)`,
  path: 'the analytic value agrees with the float64 derivative taken along the GPU forward\'s own float32 trajectory (shown as path: per step, a central difference of the reference step at the GPU\'s state): the adjoint is right for the rollout it differentiates, and the central difference differs because float32 moved that trajectory enough to change the derivative, so the relative error is not judged',
  kink: 'the loss is not smooth along that direction (at a quarter of the step the one-sided differences disagree, or the central difference moves by more than half the tolerance; or the scene puts a kink within float32 rounding of the inputs, named below), so the relative error is not judged; the analytic value still lies within the span of the differences measured across the kink (central at both steps, one-sided at the quarter step, shown as sides), widened by the tolerance, their noise and the amount the quarter step moved the central difference: a one-sided derivative or a value between them, as an adjoint takes at a kink (outside it, the check goes on to the other rules and fails there)',
};

const clock = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

/** One line per finished check on stderr, so that stdout holds the report (with --json, the JSON line alone). */
function progressLine(p: GradcheckProgress): void {
  console.error(`gradcheck: ${p.label} done, ${p.done}/${p.total} checks, ${clock(p.elapsedS)}`);
}

export async function gradcheck(scene: Scene, o: { seed: number; steps?: number; json: boolean }): Promise<number> {
  const gpu = await requestGpu();
  try {
    const k = 'particles' in scene ? scene.sortEvery ?? 0 : 0;
    console.error(`gradcheck: ${scene.name}, the adjoint on the GPU first${k ? ` (particles sorted every ${k} steps)` : ''}, then the reference rollouts${k ? ' (which never sort)' : ''}`);
    const subject = await gradcheckSubject(gpu, scene);
    const rep = await check(subject, { seed: o.seed, steps: o.steps ?? Math.min(scene.steps, 20), onProgress: progressLine }).finally(() => subject.destroy?.());
    // with --json, stdout holds the JSON line alone (as optimize's and mpc's): the table goes to stderr
    const out = o.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
    out(`gradcheck ${rep.scene}: ${rep.steps} steps, seed ${rep.seed}, adjoint (GPU, float32) vs central differences (CPU, float64)`);
    const width = Math.max(26, ...rep.checks.map((c) => c.param.length));
    for (const c of rep.checks) {
      const finer = (c.numericFiner !== undefined ? `  (step/4: ${c.numericFiner.toExponential(6)})` : '')
        + (c.verdict === 'kink' && c.oneSided ? `  (sides ${c.oneSided.map((x) => x.toExponential(3)).join(', ')})` : '')
        + (c.spread !== undefined ? `  (spread ${c.spread.toExponential(1)})` : '')
        + (c.tangent !== undefined ? `  (path ${c.tangent.toExponential(6)})` : '');
      out(`  ${c.verdict.padEnd(5)} ${c.param.padEnd(width)} analytic ${c.analytic.toExponential(6).padStart(14)}  numeric ${c.numeric.toExponential(6).padStart(14)}  rel.err ${c.relError.toExponential(2)}  noise ${(c.fdNoise + c.floor).toExponential(1)}${finer}`);
    }
    for (const [v, text] of Object.entries(LEGEND)) if (rep.checks.some((c) => c.verdict === v)) out(`  ${v}: ${text}`);
    // a kink a subject named (GradcheckSubject.kinks): where it is, once per sentence
    for (const where of new Set(rep.checks.flatMap((c) => (c.kinkAt ? [c.kinkAt] : [])))) {
      const params = rep.checks.filter((c) => c.kinkAt === where).map((c) => c.param).join(', ');
      out(`  kink (${params}): ${where}`);
    }
    const s = rep.seconds;
    // an 'ok' past the tolerance passed on its absolute allowance: say so, or the PASS reads as a contradiction
    const within = rep.checks.filter((c) => c.verdict === 'ok' && c.relError > rep.tolerance).length;
    const allowance = within ? `; ${within} check${within > 1 ? 's' : ''} past the tolerance agree${within > 1 ? '' : 's'} within its noise, |analytic - numeric| <= noise` : '';
    out(`max relative error ${rep.maxRelError.toExponential(2)} (tolerance ${rep.tolerance}; noise: the central difference's rounding plus ${NOISE_FLOOR} of the block's largest derivative${allowance}): ${rep.ok ? 'PASS' : 'FAIL'}`);
    out(`time ${clock(s.total)} (GPU adjoint ${clock(s.gpu)}, reference rollouts ${clock(s.reference)})`);
    if (o.json) console.log(JSON.stringify(rep));
    return rep.ok ? 0 : 1;
  } finally {
    gpu.destroy();
  }
}
