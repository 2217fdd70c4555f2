// normals.wgsl: vertex normals of a triangle mesh (a shell) from the state, every frame, on the GPU.
// Reads: params (uniform, pack.wgsl's), state = [B][items][stride] f32 (copy 0), tris = [T][3] u32
// vertex indices, adj = [n + 1] offsets into the list that follows them: the triangles of each vertex.
// Writes: normal[i] = (normalize(sum of cross(b - a, c - a) over i's triangles), 0): area-weighted,
// gathered per vertex (no scatter, no atomics). A vertex of no triangle gets (0, 1, 0).
// draw-params.wgsl (the Params struct) is prepended.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> tris: array<u32>;
@group(0) @binding(3) var<storage, read> adj: array<u32>;
@group(0) @binding(4) var<storage, read_write> normal: array<vec4<f32>>;

fn position(i: u32) -> vec3<f32> {
  let b = i * params.stride + params.pos_offset;
  return vec3<f32>(state[b], state[b + 1u], state[b + 2u]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  var s = vec3<f32>(0.0);
  for (var k = adj[i]; k < adj[i + 1u]; k++) {
    let t = adj[params.n + 1u + k];
    let a = position(tris[3u * t]);
    s += cross(position(tris[3u * t + 1u]) - a, position(tris[3u * t + 2u]) - a);
  }
  let len = length(s);
  normal[i] = vec4<f32>(select(vec3<f32>(0.0, 1.0, 0.0), s / len, len > 0.0), 0.0);
}
