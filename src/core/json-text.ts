// JSON as people read it and tools write it fast: objects and arrays of objects one entry per line,
// arrays of numbers, strings and nulls on one line (a scene's particle positions, a replay's group
// per particle), which JSON.stringify's indenting would spread one number per line.

/** `value` as indented JSON with flat arrays on one line; undefined members are left out. */
export function jsonText(value: unknown): string {
  return format(value, '');
}

function format(v: unknown, indent: string): string {
  if (Array.isArray(v)) {
    if (v.every((e) => e === null || typeof e !== 'object')) {
      // long arrays through the native serialiser, much faster on millions of numbers
      return v.length > 16 ? JSON.stringify(v) : `[${v.map((e) => JSON.stringify(e) ?? 'null').join(', ')}]`;
    }
    const inner = `${indent}  `;
    return `[\n${v.map((e) => inner + format(e, inner)).join(',\n')}\n${indent}]`;
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return format(Array.from(v as unknown as ArrayLike<number>), indent);
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return format((v as { toJSON(): unknown }).toJSON(), indent);
    const inner = `${indent}  `;
    const entries = Object.entries(v).filter(([, e]) => e !== undefined && typeof e !== 'function');
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, e]) => `${inner}${JSON.stringify(k)}: ${format(e, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
