// draw-params.wgsl: the uniform of the viewer's kernels (pack.wgsl, normals.wgsl), prepended to
// both; written by src/viewer/draw-kernels.ts.
struct Params {
  n: u32,               // items drawn
  stride: u32,          // floats per state record
  dim: u32,             // 2 or 3
  pos_offset: u32,      // float offset of the position in a record
  vel_offset: u32,      // float offset of the velocity, or 0xffffffff without one
  color_mode: u32,      // 0: by group, 1: by speed
  speed_max: f32,       // speed at the top of the ramp
  radius_scale: f32,    // radius as a fraction of the spacing volume^(1/dim) (radius_fixed == 0)
  radius_fixed: f32,    // > 0: every item gets this radius (mass-spring vertices)
}
