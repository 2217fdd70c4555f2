// The GPU reads what packMpm wrote where packMpm meant it: the WGSL declarations are generated from
// the tables of src/mpm/records.ts, so this checks the generator against the WGSL compiler (every
// SimParams member read back on the GPU lands on the word the table gives it) and the kernels'
// record readers against the scene (load_group from the uniform copy and from storage,
// load_collider, particle_group and particle_vol give the scene's own values).
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { createBuffer, readU32, writeBuffer } from '../../src/gpu/buffers';
import { MpmSim } from '../../src/mpm/simulator';
import { packSteps, orientComps, spinComps, identityOrientation } from '../../src/mpm/layout';
import { MATERIAL_CODE, NO_ACTUATOR, SIM_PARAMS, STEP_INFO, STEP_STRIDE, recordsWgsl } from '../../src/mpm/records';
import { composeMpm } from '../../src/shaders/compose';
import type { MpmScene } from '../../src/mpm/scene';
import { tinyScene } from '../helpers/tiny-scenes';

let gpu: GpuContext;
beforeAll(async () => { gpu = await requestGpu(); });
afterAll(() => gpu?.destroy());

const OUT_WORDS = 4096;

/** Runs `body` (WGSL statements in `main`, writing `out: array<u32>`) with the simulator's params, step `step`, model and ctrl bound. */
async function readBack(sim: MpmSim, label: string, body: string, step: number): Promise<Uint32Array> {
  // binding 4 is the particle order (model.wgsl), unread here (SORTED false): a placeholder
  const code = composeMpm(sim.dim, { body: `const SORTED: bool = false;
@group(0) @binding(5) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
${body}
}`, particles: [] });
  const kern = await sim.cache.computeAsync(`test.records.${label}${sim.dim}d`, code, ['uniform', 'uniform-dynamic', 'read', 'read', 'read', 'rw']);
  const steps = packSteps(step + 1, sim.packed.horizon);
  const stepBuf = createBuffer(gpu.device, 'test.records.steps', steps.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, steps);
  const out = createBuffer(gpu.device, 'test.records.out', OUT_WORDS * 4);
  const order = createBuffer(gpu.device, 'test.records.order', 16);
  try {
    const group = sim.cache.bindGroup('test.records.bind', kern.layout,
      [sim.paramsBuf, { buffer: stepBuf, offset: 0, size: 16 }, sim.modelBuf, sim.ctrlBuf, order, out]);
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(kern.pipeline);
    pass.setBindGroup(0, group, [step * STEP_STRIDE]);
    pass.dispatchWorkgroups(1);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    await gpu.checkErrors();
    return await readU32(gpu.device, out);
  } finally {
    stepBuf.destroy();
    out.destroy();
    order.destroy();
  }
}

function scene(dim: 2 | 3): MpmScene {
  const s = tinyScene({ dim, material: 'elastoplastic', actuated: true, collider: true, res: dim === 2 ? 24 : 12 });
  s.groups[0].viscosity = 0.125; // every ctrl field of some group nonzero and distinct
  s.boundary.walls = 'slip';
  return s;
}

const f32 = (w: number) => new Float32Array(new Uint32Array([w]).buffer)[0];

for (const dim of [2, 3] as const) {
  describe(`${dim}D records`, () => {
    it('every SimParams member (and StepInfo) is read on the GPU from the word the table gives it', async () => {
      const B = 2;
      const sim = await MpmSim.create(gpu, scene(dim), { batch: B });
      const W = SIM_PARAMS.word;
      const used = W.groups + sim.packed.nGroups * (1 + B) * 8; // the group records' copy in use
      expect(used).toBeLessThan(OUT_WORDS - 8);
      // each member stored at the word the TS table names: a member the compiler placed elsewhere
      // reads another word's value
      const lines = SIM_PARAMS.fields.map((f) => {
        const w = (W as Record<string, number>)[f.name];
        if (f.array) return `  for (var i = 0u; i < ${(used - w) / 4}u; i++) { let v = bitcast<vec4<u32>>(params.${f.name}[i]); for (var c = 0u; c < 4u; c++) { out[${w}u + 4u * i + c] = v[c]; } }`;
        if (f.type.startsWith('vec4')) return `  { let v = bitcast<vec4<u32>>(params.${f.name}); for (var c = 0u; c < 4u; c++) { out[${w}u + c] = v[c]; } }`;
        return `  out[${w}u] = bitcast<u32>(params.${f.name});`;
      });
      const stepWords = STEP_INFO.fields.map((f) => `  out[${OUT_WORDS - 8 + (STEP_INFO.word as Record<string, number>)[f.name]}u] = step.${f.name};`);
      const step = sim.packed.horizon + 3; // past the tracks: ctrl_step holds the last row
      const got = await readBack(sim, 'params', [...lines, ...stepWords].join('\n'), step);
      const packed = new Uint32Array(sim.packed.params);
      expect(Array.from(got.subarray(0, used))).toEqual(Array.from(packed.subarray(0, used)));
      expect(got[OUT_WORDS - 8 + STEP_INFO.word.step]).toBe(step);
      expect(got[OUT_WORDS - 8 + STEP_INFO.word.ctrl_step]).toBe(sim.packed.horizon - 1);
      // the words are the scene's (a check that packMpm wrote them, not only that they moved intact)
      expect([packed[W.n_particles], packed[W.batch], packed[W.n_groups], packed[W.n_colliders]]).toEqual([sim.packed.n, B, 2, 1]);
      expect(f32(packed[W.dx])).toBe(Math.fround(sim.scene.grid.dx));
      expect(f32(packed[W.gravity + 1])).toBe(Math.fround(-9.8));
      expect(recordsWgsl(dim)).toContain(`const PSTRIDE: u32 = ${2 * dim + 2 * dim * dim}u;`);
      sim.destroy();
    });

    for (const where of ['the params uniform\'s copy', 'storage'] as const) {
      it(`load_group (from ${where}), load_collider, particle_group and particle_vol give the scene's values`, async () => {
        const B = 2;
        const s = scene(dim);
        const sim = await MpmSim.create(gpu, s, { batch: B });
        const ctrl = sim.packed.ctrl.slice();
        const lay = sim.packed.ctrlLayout;
        const G = s.groups.length;
        // copy 1 gets other group parameters, so a reader mixing up the copies is caught (nu, word 1
        // of a group record, halved: writeParams refuses nu above 0.5)
        for (let k = 0; k < G * 8; k++) ctrl[lay.groupsOff + G * 8 + k] *= k % 8 === 1 ? 0.5 : 2;
        sim.writeParams(ctrl);
        if (where === 'storage') writeBuffer(gpu.device, sim.paramsBuf, new Uint32Array([0]), 4 * SIM_PARAMS.word.group_recs);
        const n = sim.packed.n;
        const step = 5;
        const body = `  var k = 0u;
  for (var b = 0u; b < ${B}u; b++) {
    for (var g = 0u; g < ${G}u; g++) {
      let r = load_group(b, g);
      out[k] = r.material; out[k + 1u] = r.actuator;
      for (var i = 0u; i < DIM; i++) { out[k + 2u + i] = bitcast<u32>(r.fiber[i]); }
      let c = array<f32, 7>(r.E, r.nu, r.density, r.viscosity, r.act_strength, r.theta_c, r.theta_s);
      for (var i = 0u; i < 7u; i++) { out[k + 5u + i] = bitcast<u32>(c[i]); }
      k += 12u;
    }
    let col = load_collider(b, 0u);
    out[k] = bitcast<u32>(col.friction); out[k + 1u] = bitcast<u32>(col.r);
    for (var i = 0u; i < DIM; i++) {
      out[k + 2u + i] = bitcast<u32>(col.h[i]); out[k + 5u + i] = bitcast<u32>(col.c[i]); out[k + 8u + i] = bitcast<u32>(col.u[i]);
    }
    for (var i = 0u; i < 4u; i++) { out[k + 11u + i] = bitcast<u32>(col.o[i]); out[k + 15u + i] = bitcast<u32>(col.w[i]); }
    k += 19u;
  }
  for (var p = 0u; p < ${n}u; p++) { out[k + 2u * p] = particle_group(0u, p); out[k + 2u * p + 1u] = bitcast<u32>(particle_vol(0u, p)); }`;
        expect(B * (G * 12 + 19) + 2 * n).toBeLessThan(OUT_WORDS);
        const got = await readBack(sim, `loads.${where === 'storage' ? 'storage' : 'uniform'}`, body, step);
        const gotF = new Float32Array(got.buffer);
        const F = (x: number) => Math.fround(x);
        let k = 0;
        for (let b = 0; b < B; b++) {
          s.groups.forEach((g, gi) => {
            const m = b === 1 ? 2 : 1;
            expect(got[k], `copy ${b} group ${gi} material`).toBe(MATERIAL_CODE[g.material]);
            expect(got[k + 1], 'actuator').toBe(g.actuator ? g.actuator.channel : NO_ACTUATOR);
            for (let i = 0; i < dim; i++) expect(gotF[k + 2 + i], 'fiber').toBe(F(g.actuator?.fiber[i] ?? 0));
            const want = [g.E, g.nu, g.density, g.viscosity ?? 0, g.actuator?.strength ?? 0, g.plastic?.thetaC ?? 0, g.plastic?.thetaS ?? 0];
            expect(Array.from(gotF.subarray(k + 5, k + 12)), `copy ${b} group ${gi} ctrl`).toEqual(want.map((x, j) => F(F(x) * (j === 1 && m === 2 ? 0.5 : m))));
            k += 12;
          });
          const c = s.colliders[0];
          const row = (t: number[][]) => t[Math.min(step, t.length - 1)];
          expect([gotF[k], gotF[k + 1]], 'friction, radius').toEqual([F(c.friction), F(c.radius ?? 0)]);
          for (let i = 0; i < dim; i++) {
            expect(gotF[k + 2 + i], 'half extents').toBe(F(c.halfExtents![i]));
            expect(gotF[k + 5 + i], 'position').toBe(F(row(c.position)[i]));
            expect(gotF[k + 8 + i], 'velocity').toBe(F(row(c.velocity)[i]));
          }
          const o = c.orientation ? row(c.orientation) : identityOrientation(dim);
          for (let i = 0; i < orientComps(dim); i++) expect(gotF[k + 11 + i], 'orientation').toBe(F(o[i]));
          for (let i = 0; i < spinComps(dim); i++) expect(gotF[k + 15 + i], 'angular velocity').toBe(F(row(c.angularVelocity!)[i]));
          k += 19;
        }
        for (let p = 0; p < n; p++) {
          expect(got[k + 2 * p], `particle ${p} group`).toBe(s.particles.group[p]);
          expect(gotF[k + 2 * p + 1], `particle ${p} vol`).toBe(F(s.particles.vol[p]));
        }
        expect(new Set(s.particles.group).size).toBe(2);
        sim.destroy();
      });
    }
  });
}

test('the step table holds StepInfo records at STEP_STRIDE', () => {
  const steps = packSteps(4, 2);
  const at = (k: number, f: 'step' | 'ctrl_step') => steps[(k * STEP_STRIDE) / 4 + STEP_INFO.word[f]];
  expect([0, 1, 2, 3].map((k) => [at(k, 'step'), at(k, 'ctrl_step')])).toEqual([[0, 0], [1, 1], [2, 1], [3, 1]]);
  expect(STEP_INFO.bytes).toBeLessThanOrEqual(16); // the simulator binds 16 bytes of each record
});
