// The published JSON Schema of scene files, schemas/scene.schema.json: the valibot schema of
// any-scene.ts (its published form, for either dim and any size) converted by
// @valibot/to-json-schema, with a title and description on each field taken from the types and
// doc comments of scene.ts, src/springs/scene.ts and the types they use, so an editor completes and explains every field. `npm run schema`
// writes the file; a test fails when the file checked in is not what this gives. Node only (it
// reads scene.ts); nothing that runs a scene imports it.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { toJsonSchema } from '@valibot/to-json-schema';
import { sceneSchema } from './any-scene';

/** Where the schema is checked in, relative to the repository root. */
export const SCENE_SCHEMA_FILE = 'schemas/scene.schema.json';

interface Docs {
  title?: string;
  description?: string;
  properties?: Record<string, Docs>;
  items?: Docs;
  /** A union's members (a loss's kinds); matched to the schema's oneOf by their `kind`, else by order. */
  oneOf?: Docs[];
  /** The values of an interface's `kind` field (string literals), which pick its oneOf member. */
  kinds?: string[];
}

type Json = { [key: string]: unknown };

/** The JSON Schema of scene files, as the text of SCENE_SCHEMA_FILE. */
export function sceneJsonSchemaText(): string {
  const json = toJsonSchema(sceneSchema()) as Json;
  const root: Json = {
    $schema: json.$schema,
    title: 'Torsion scene',
    description: 'A scene file of Torsion (torsion export writes them, --scene-file reads them). '
      + 'Its kind picks the format: "mpm" (or none) an MPM scene, "springs" or "shell" a spring scene.',
    ...json,
  };
  const types = sceneTypes();
  const members = root.oneOf as Json[];
  annotate(members[0], docsOf(ref('MpmScene'), types));
  annotate(members[1], docsOf(ref('SpringScene'), types));
  return `${JSON.stringify(root, null, 2)}\n`;
}

/** Adds the titles and descriptions of `docs` to a JSON Schema node and its fields. */
function annotate(node: Json, docs: Docs): void {
  if (docs.title) node.title = docs.title;
  if (docs.description) node.description = docs.description;
  const props = node.properties as Record<string, Json> | undefined;
  for (const [key, d] of Object.entries(docs.properties ?? {})) if (props?.[key]) annotate(props[key], d);
  if (docs.items && node.items) annotate(node.items as Json, docs.items);
  const members = node.oneOf as Json[] | undefined;
  // valibot lists a loss's kinds in its own order ('effort' and 'smoothness' apart), not the
  // union's: match a member by the const of its kind, so each gets its own title and description.
  members?.forEach((m, k) => {
    const kind = ((m.properties as Record<string, Json> | undefined)?.kind?.const);
    const d = typeof kind === 'string' ? docs.oneOf?.find((o) => o.kinds?.includes(kind)) : docs.oneOf?.[k];
    if (d) annotate(m, d);
  });
}

/** The string literals of an interface's `kind` field ('effort' | 'smoothness' gives both). */
function kindsOf(decl: ts.InterfaceDeclaration): string[] | undefined {
  const kind = decl.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === 'kind') as ts.PropertySignature | undefined;
  if (!kind?.type) return undefined;
  const parts = ts.isUnionTypeNode(kind.type) ? kind.type.types : [kind.type];
  const lits = parts.flatMap((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? [t.literal.text] : []));
  return lits.length > 0 ? lits : undefined;
}

type Declaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration;

/** The interfaces and type aliases of the scene files (and of the generic types they use), by name. */
function sceneTypes(): Map<string, Declaration> {
  const types = new Map<string, Declaration>();
  for (const rel of ['./scene.ts', '../springs/scene.ts', '../core/loss.ts', '../control/controller.ts', '../core/periodic.ts']) {
    const file = ts.createSourceFile(rel, readFileSync(new URL(rel, import.meta.url), 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const st of file.statements) {
      if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) types.set(st.name.text, st);
    }
  }
  return types;
}

function ref(name: string): ts.TypeNode {
  return ts.factory.createTypeReferenceNode(name);
}

function docComment(node: ts.Node): string | undefined {
  const text = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n');
  // One paragraph: the comment's line breaks are layout, not meaning.
  return text.trim() === '' ? undefined : text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Titles and descriptions for a value of type `type` (named types give the title). */
function docsOf(type: ts.TypeNode, types: Map<string, Declaration>): Docs {
  if (ts.isArrayTypeNode(type)) return { items: docsOf(type.elementType, types) };
  if (ts.isTypeLiteralNode(type)) return { properties: membersOf(type.members, types) };
  if (ts.isUnionTypeNode(type)) return { oneOf: type.types.flatMap((t) => unionMembers(t, types)) };
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const decl = types.get(type.typeName.text);
    if (!decl) return {};
    const own = { title: decl.name.text, description: docComment(decl) };
    if (ts.isInterfaceDeclaration(decl)) return { ...own, kinds: kindsOf(decl), properties: membersOf(decl.members, types) };
    return { ...docsOf(decl.type, types), ...own };
  }
  return {};
}

/** A union's members as docs, a member that is itself a union (TermLossDesc) spread in place. */
function unionMembers(type: ts.TypeNode, types: Map<string, Declaration>): Docs[] {
  const decl = ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? types.get(type.typeName.text) : undefined;
  if (decl && ts.isTypeAliasDeclaration(decl) && ts.isUnionTypeNode(decl.type)) return decl.type.types.flatMap((t) => unionMembers(t, types));
  return [docsOf(type, types)];
}

function membersOf(members: ts.NodeArray<ts.TypeElement>, types: Map<string, Declaration>): Record<string, Docs> {
  const out: Record<string, Docs> = {};
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const key = m.name.getText();
    const inner = docsOf(m.type, types);
    // The field's own comment says what it is here; the type's says what such a value is.
    out[key] = { ...inner, description: docComment(m) ?? inner.description };
  }
  return out;
}
