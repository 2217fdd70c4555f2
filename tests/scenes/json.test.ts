// Scene files: export then parse gives back an equal scene; bad text is refused with a clear error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildScene, sceneNames } from '../../scenes/index';
import { exportSceneJson, parseSceneJson, MAX_SCENE_JSON_CHARS } from '../../src/mpm/validate';
import { SCENE_KINDS } from '../../src/mpm/schema';
import { SCENE_SCHEMA_FILE, sceneJsonSchemaText } from '../../src/mpm/scene-json-schema';
import { expectSceneError, sceneErrorOf, tinyScene } from './fixtures';
import type { MpmScene } from '../../src/mpm/scene';

describe('exportSceneJson / parseSceneJson', () => {
  for (const name of sceneNames) {
    it(`${name} round-trips to an equal scene`, () => {
      const s = buildScene(name);
      const text = exportSceneJson(s);
      const back = parseSceneJson(text);
      expect(back).toStrictEqual(s);
      // And again: the text is a fixed point.
      expect(exportSceneJson(back)).toBe(text);
    });
  }

  it('round-trips the tiny scene that uses every field', () => {
    const s = tinyScene();
    expect(parseSceneJson(exportSceneJson(s))).toStrictEqual(s);
  });

  it('drops undefined optional fields, as JSON.stringify does', () => {
    const s = tinyScene();
    s.groups[0].viscosity = undefined;
    s.loss = undefined;
    const back = parseSceneJson(exportSceneJson(s)) as MpmScene;
    expect('viscosity' in back.groups[0]).toBe(false);
    expect('loss' in back).toBe(false);
  });

  it('keeps number arrays on one line and nests objects', () => {
    const text = exportSceneJson(tinyScene());
    expect(text).toMatch(/^ {4}"x": \[[^\n]+\],$/m);
    expect(text).toMatch(/^ {2}"grid": \{\n {4}"res": \[16, 16\],\n {4}"dx": 0\.0625\n {2}\},$/m);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('refuses to export an invalid scene', () => {
    const s = tinyScene();
    s.groups[0].nu = 0.5;
    expectSceneError(() => exportSceneJson(s), 'groups[0].nu', '0.5', '(0, 0.5)');
  });

  it('exports scenes bigger than a device allows: the limits belong to whoever loads them', () => {
    const text = exportSceneJson(tinyScene());
    expectSceneError(() => parseSceneJson(text, { maxParticles: 4 }), 'particles', 'particles', 'at most 4 particles');
  });
});

describe('parseSceneJson refuses', () => {
  it('text that is not JSON, saying why', () => {
    const e = sceneErrorOf(() => parseSceneJson('{"name": "x",}'));
    expect(e.field).toBe('');
    expect(e.message).toMatch(/^scene is not valid JSON \(.+\): allowed a JSON object/);
  });

  it('a key given twice in one object, naming it and both lines (JSON.parse keeps the second silently)', () => {
    const text = exportSceneJson(tinyScene()).replace('"nu": ', '"E": 123,\n      "nu": ');
    const e = sceneErrorOf(() => parseSceneJson(text));
    expect(e.field).toBe('groups[0].E');
    const lines = text.split('\n');
    const at = lines.flatMap((l, i) => (l.includes('"E"') ? [i + 1] : []));
    expect(at.length).toBeGreaterThanOrEqual(2); // the first group's two, then the others'
    expect(e.message).toBe(`scene.groups[0].E is given twice in one object (lines ${at[0]} and ${at[1]}); JSON would keep the second silently: allowed each key once`);
    // at the top, inside arrays of objects, and nested arrays of arrays before it
    expect(sceneErrorOf(() => parseSceneJson('{"dt": 1, "a": [[1, 2], {"b": [3]}], "dt": 2}')).field).toBe('dt');
    expect(sceneErrorOf(() => parseSceneJson('{"a": [[1], "x,]", {"k": 1}, {"k": 1, "k": 2}]}')).field).toBe('a[3].k');
    // the same name in two objects, or as a string value, is no duplicate: these fail for other reasons
    for (const ok of ['{"a": {"k": 1}, "b": {"k": 1}}', '{"k": "k", "j": ["k", "k"]}']) {
      expect(sceneErrorOf(() => parseSceneJson(ok)).message).not.toMatch(/twice/);
    }
  });

  it('JSON that is not an object', () => {
    expectSceneError(() => parseSceneJson('[1, 2, 3]'), '', '[1, 2, 3]', 'an object');
    expectSceneError(() => parseSceneJson('"scene"'), '', '"scene"', 'an object');
  });

  it('text longer than the cap, before parsing it', () => {
    expect(MAX_SCENE_JSON_CHARS).toBe(512 * 2 ** 20);
    const text = `{"name": "${'x'.repeat(2000)}"`; // not even valid JSON: never parsed
    expectSceneError(() => parseSceneJson(text, { maxJsonChars: 1000 }), '', `${text.length} characters of JSON`,
      'at most 1000 characters (limits.maxJsonChars)');
  });

  it('a scene with too many particles, before reading them', () => {
    const s = tinyScene();
    const n = 200_000;
    const text = exportSceneJson(s).replace(/"group": \[[^\]]*\]/, `"group": [${new Array(n).fill(0).join(',')}]`);
    expectSceneError(() => parseSceneJson(text, { maxParticles: 100_000 }), 'particles', `${n} particles`, 'at most 100000');
  });

  it('a field named __proto__ (as an unknown field, not a prototype)', () => {
    const text = exportSceneJson(tinyScene()).replace('{\n', '{\n  "__proto__": {"dim": 3},\n');
    expectSceneError(() => parseSceneJson(text), '__proto__', 'an object', 'the fields name');
  });

  it('physics errors inside a file, with the same messages as for built scenes', () => {
    const text = exportSceneJson(tinyScene()).replace('"nu": 0.4', '"nu": 0.6');
    const e = expectSceneError(() => parseSceneJson(text), 'groups[1].nu', '0.6', '(0, 0.5)');
    expect(e.message).toBe('scene.groups[1].nu = 0.6 is out of range: allowed (0, 0.5)');
  });
});

describe('scene kinds in files', () => {
  it('a file without a kind (every file written before kinds) is an MPM scene', () => {
    const text = exportSceneJson(buildScene('jelly-throw-2d'));
    expect(text).not.toMatch(/^ {2}"kind"/m); // loss.kind is another field
    expect(parseSceneJson(text).name).toBe('jelly-throw-2d');
  });

  it('kind "mpm", and a $schema for editors, are accepted and kept', () => {
    const text = exportSceneJson(tinyScene()).replace('{\n', '{\n  "$schema": "../schemas/scene.schema.json",\n  "kind": "mpm",\n');
    const s = parseSceneJson(text);
    expect([s.kind, s.$schema]).toEqual(['mpm', '../schemas/scene.schema.json']);
    expect(parseSceneJson(exportSceneJson(s))).toStrictEqual(s);
  });

  it('an unknown kind, naming the kinds there are', () => {
    const text = exportSceneJson(tinyScene()).replace('{\n', '{\n  "kind": "sph",\n');
    const e = expectSceneError(() => parseSceneJson(text), 'kind', '"sph"', '"mpm"');
    expect(e.message).toBe('scene.kind = "sph" is not a known scene kind: allowed one of "mpm", "springs", "shell" (absent means "mpm")');
  });
});

type JsonNode = { [key: string]: unknown };

describe(`the JSON Schema (${SCENE_SCHEMA_FILE})`, () => {
  const text = sceneJsonSchemaText();
  const schema = JSON.parse(text) as JsonNode;
  const [mpm, springs] = schema.oneOf as JsonNode[];

  it('is current: the file checked in is what `npm run schema` writes', () => {
    const file = readFileSync(new URL(`../../${SCENE_SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(file, 'schemas/scene.schema.json is out of date: run npm run schema').toBe(text);
  });

  it('dispatches on kind: one member per scene format, together naming every kind, kind optional only for MPM', () => {
    const members = schema.oneOf as JsonNode[];
    const kinds = members.flatMap((m) => {
      const kind = (m.properties as Record<string, JsonNode>).kind;
      return kind.const !== undefined ? [kind.const] : (kind.enum as unknown[]);
    });
    expect(kinds).toEqual([...SCENE_KINDS]);
    expect(mpm.required).not.toContain('kind');
    expect(springs.required).toContain('kind');
    expect(mpm.additionalProperties).toBe(false);
    expect(springs.additionalProperties).toBe(false);
  });

  it('carries the doc comments of scene.ts as descriptions, and type names as titles', () => {
    const groups = (mpm.properties as Record<string, JsonNode>).groups;
    const group = groups.items as JsonNode;
    expect(group.title).toBe('GroupDesc');
    const e = (group.properties as Record<string, JsonNode>).E;
    expect(e.description).toBe("Young's modulus (> 0); differentiable.");
    expect(e.minimum).toBe(2 ** -126);
    expect(e.maximum).toBe(3.4028234663852886e38);
  });

  it("gives each loss kind its own title and description, the weighted sum's terms too (matched by kind, not by order)", () => {
    const title: Record<string, string> = {
      'com-target': 'ComTargetLossDesc', 'com-travel': 'ComTravelLossDesc', 'com-speed': 'ComSpeedLossDesc',
      'region-fraction': 'RegionFractionLossDesc', 'match-positions': 'MatchPositionsLossDesc', 'match-pairs': 'MatchPairsLossDesc',
      effort: 'ControlLossDesc', smoothness: 'ControlLossDesc', 'weighted-sum': 'WeightedSumLossDesc',
    };
    const titles = (union: JsonNode) => (union.oneOf as JsonNode[]).map((m) => {
      const kind = (m.properties as Record<string, JsonNode>).kind.const as string;
      return [kind, m.title, typeof m.description === 'string' && m.description !== ''];
    });
    for (const member of [mpm, springs]) {
      const loss = (member.properties as Record<string, JsonNode>).loss;
      expect(titles(loss).map(([k]) => k).sort()).toEqual(Object.keys(title).sort());
      expect(titles(loss).filter(([k, t, d]) => t !== title[k as string] || !d)).toEqual([]);
      const sum = (loss.oneOf as JsonNode[]).find((m) => (m.properties as Record<string, JsonNode>).kind.const === 'weighted-sum')!;
      const terms = (sum.properties as Record<string, JsonNode>).terms.items as JsonNode;
      const term = (terms.properties as Record<string, JsonNode>).loss;
      expect(titles(term).filter(([k, t, d]) => t !== title[k as string] || !d)).toEqual([]);
    }
  });

  it('has a description on every field (a field added without a doc comment shows here)', () => {
    const missing: string[] = [];
    const walk = (node: JsonNode, path: string) => {
      for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, JsonNode>)) {
        if (typeof child.description !== 'string' || child.description === '') missing.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
      if (node.items) walk(node.items as JsonNode, path.replace(/\.$/, '[].'));
    };
    walk(mpm, '');
    walk(springs, 'springs:');
    expect(missing).toEqual([]);
  });
});
