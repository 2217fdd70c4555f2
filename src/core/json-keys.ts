// JSON.parse keeps the last of two equal keys in one object and says nothing, so a scene file that
// sets `E` twice runs with whichever came last. This scan finds the first such key in text that
// JSON.parse has already accepted (so it need not handle malformed input). Flat arrays of numbers,
// which hold nearly all of a large scene's bytes, are skipped by one native regex match each.

export interface DuplicateKey {
  /** Path of the object holding the key, in the scene-error style (`groups[1]`; '' for the top). */
  parent: string;
  key: string;
  /** 1-based lines of the first and the second occurrence. */
  lines: [number, number];
}

interface Frame {
  /** null for an array. */
  keys: Map<string, number> | null;
  path: string;
  /** An array's index of the element being read; an object's key being read. */
  index: number;
  key: string;
}

const SPECIAL = /[{}[\]",]/g;
const STRING = /"(?:[^"\\]|\\.)*"/y;
const COLON_AFTER = /\s*:/y;
const FLAT_ARRAY = /[^[\]{}"]*\]/y;

/** The first key that appears twice in one object of `text` (valid JSON), or null. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  const stack: Frame[] = [];
  let lineAt = 0, line = 1;
  // Lines are counted only when a duplicate is reported, so the scan itself never pays for them.
  const lineOf = (pos: number): number => {
    if (pos < lineAt) { lineAt = 0; line = 1; }
    for (let i = text.indexOf('\n', lineAt); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++, lineAt = i + 1;
    return line;
  };
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.keys === null) return `${top.path}[${top.index}]`;
    return top.path === '' ? top.key : `${top.path}.${top.key}`;
  };
  SPECIAL.lastIndex = 0;
  for (let m = SPECIAL.exec(text); m; m = SPECIAL.exec(text)) {
    const c = m[0], at = m.index;
    const top = stack[stack.length - 1];
    if (c === '"') {
      STRING.lastIndex = at;
      const s = STRING.exec(text);
      if (!s) return null; // not JSON.parse's input: nothing to report
      SPECIAL.lastIndex = at + s[0].length;
      if (top?.keys) {
        COLON_AFTER.lastIndex = SPECIAL.lastIndex;
        if (COLON_AFTER.test(text)) {
          const key = JSON.parse(s[0]) as string;
          const first = top.keys.get(key);
          if (first !== undefined) {
            const firstLine = lineOf(first);
            return { parent: top.path, key, lines: [firstLine, lineOf(at)] };
          }
          top.keys.set(key, at);
          top.key = key;
        }
      }
    } else if (c === '{') {
      stack.push({ keys: new Map(), path: childPath(), index: 0, key: '' });
    } else if (c === '[') {
      FLAT_ARRAY.lastIndex = at + 1;
      if (FLAT_ARRAY.test(text)) { SPECIAL.lastIndex = FLAT_ARRAY.lastIndex; continue; }
      stack.push({ keys: null, path: childPath(), index: 0, key: '' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (top && top.keys === null) {
      top.index++; // a comma between an array's elements
    }
  }
  return null;
}

/** `parent` and `key` joined as a scene-error field path. */
export function keyPath(d: DuplicateKey): string {
  return d.parent === '' ? d.key : `${d.parent}.${d.key}`;
}
