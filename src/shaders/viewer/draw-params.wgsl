// draw-params.wgsl: the uniform of the viewer's kernels (pack.wgsl, normals.wgsl), prepended to
// both; written by src/viewer/draw-kernels.ts.
struct Params {
  n: u32,               // items drawn
  stride: u32,          // floats per state record
  dim: u32,             // 2 or 3
  pos_offset: u32,      // float offset of the position in a record
  vel_offset: u32,      // float offset of the velocity, or 0xffffffff without one
  color_mode: u32,      // 0: by group, 1: by speed, 2: by strain, 3: by actuation
  speed_max: f32,       // speed at the top of the ramp
  radius_scale: f32,    // radius as a fraction of the spacing volume^(1/dim) (radius_fixed == 0)
  radius_fixed: f32,    // > 0: every item gets this radius (mass-spring vertices)
  f_offset: u32,        // float offset of F (dim x dim) in a record, or 0xffffffff without one
  act_offset: u32,      // float offset of the actuation row of step 0 in act[]
  act_channels: u32,    // floats per actuation row (0: no actuation)
  act_row: u32,         // the row the state drawn last read: min(step - 1, horizon - 1)
  flags_offset: u32,    // where aux[] holds the per-group flags (1: F record holds F - I)
  strain_max: f32,      // Green strain at the top of the strain ramp
  act_max: f32,         // activation at the ends of the actuation ramp
  strain_kind: u32,     // strain from 0: F (f_offset), 1: springs, 2: triangles (aux lists at strain_offset)
  strain_offset: u32,   // where aux[] holds the per-vertex spring or triangle lists (CSR)
}
