// Deterministic segmented sum for control gradients: one workgroup per segment sums
// src[seg.src .. seg.src + seg.count) in a fixed order (strided partial sums, then a tree) and adds
// the total to dst[seg.dst + step * seg.dst_step]. Used for dL/d actuation (per group, per step),
// dL/d collider track (per collider, per step) and dL/dE, dL/dnu (per group, once).
struct Segment { src: u32, count: u32, dst: u32, dst_step: u32 }
struct StepIndex { step: u32, ctrl_step: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> step: StepIndex;
@group(0) @binding(1) var<storage, read> segments: array<Segment>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let seg = segments[wid.x];
  var s = 0.0;
  for (var k = lid; k < seg.count; k += WG) { s += src[seg.src + k]; }
  partial[lid] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { dst[seg.dst + step.ctrl_step * seg.dst_step] += partial[0]; }
}
