// The viewer's WGSL, through Vite's `?raw` (the only .wgsl importer under src/viewer).
import pointsWgsl from './points.wgsl?raw';

export const viewerShaders = { points: pointsWgsl };
