// `torsion gradcheck <scene> [--seed S] [--steps N] [--json]`
import { requestGpu } from '../gpu/device';
import { gradcheckScene } from '../core/gradcheck';
import type { MpmScene } from '../mpm/scene';

export async function gradcheck(scene: MpmScene, o: { seed: number; steps?: number; json: boolean }): Promise<number> {
  const gpu = await requestGpu();
  try {
    const rep = await gradcheckScene(gpu, scene, { seed: o.seed, steps: o.steps });
    console.log(`gradcheck ${rep.scene}: ${rep.steps} steps, seed ${rep.seed}, adjoint (GPU, float32) vs central differences (CPU, float64)`);
    // a random direction along which the derivative nearly cancels: judged against the gradient's norm
    const byNorm = (c: (typeof rep.checks)[number]) => c.smooth && c.ok && c.relError > rep.tolerance && Math.abs(c.analytic - c.numeric) > rep.noiseFloor;
    for (const c of rep.checks) {
      console.log(`  ${!c.smooth ? 'kink' : byNorm(c) ? 'ok~ ' : c.ok ? 'ok  ' : 'FAIL'} ${c.param.padEnd(20)} analytic ${c.analytic.toExponential(6).padStart(14)}  numeric ${c.numeric.toExponential(6).padStart(14)}  rel.err ${c.relError.toExponential(2)}`);
    }
    if (rep.checks.some((c) => !c.smooth)) console.log('  kink: the loss is not smooth along that direction (finite differences disagree with a 4x smaller step), so nothing is compared');
    if (rep.checks.some(byNorm)) console.log(`  ok~: along a random direction the derivative nearly cancels, so the difference is judged against the gradient's norm over those parameters (within ${rep.tolerance} of it); the check along the gradient itself (@gradient) is judged on its own`);
    console.log(`max relative error ${rep.maxRelError.toExponential(2)} (tolerance ${rep.tolerance}; differences under ${rep.noiseFloor.toExponential(1)} are float32 noise): ${rep.ok ? 'PASS' : 'FAIL'}`);
    if (o.json) console.log(JSON.stringify(rep));
    return rep.ok ? 0 : 1;
  } finally {
    gpu.destroy();
  }
}
