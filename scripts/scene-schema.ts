// Writes schemas/scene.schema.json, the JSON Schema of scene files, from src/mpm/schema.ts and the
// doc comments of src/mpm/scene.ts (npm run schema; tests/scenes/json.test.ts checks it is current).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENE_SCHEMA_FILE, sceneJsonSchemaText } from '../src/mpm/scene-json-schema';

const out = fileURLToPath(new URL(`../${SCENE_SCHEMA_FILE}`, import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, sceneJsonSchemaText());
console.log(`wrote ${SCENE_SCHEMA_FILE}`);
