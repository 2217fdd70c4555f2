// The error a user gets for a scene they can fix: which field, its value, what is wrong and what
// would be accepted. Shared by the schema (src/mpm/schema.ts), the rules across fields
// (src/mpm/validate.ts) and the device checks (src/mpm/simulator.ts).

/** A problem with a scene, for people: `field` is a path such as `groups[1].nu`. */
export class SceneError extends Error {
  /** Path of the offending field, relative to the scene (`groups[1].nu`); '' for the scene itself. */
  readonly field: string;
  /** The offending value as shown in the message ('undefined' when missing). */
  readonly value: string;
  /** What would have been accepted. */
  readonly allowed: string;

  /** `problem` says what is wrong (default 'is out of range'); the message reads
   *  `scene.<field> = <value> <problem>: allowed <allowed>`. */
  constructor(field: string, value: string | undefined, allowed: string, problem = 'is out of range') {
    const label = field === '' ? 'scene' : `scene.${field}`;
    super(`${label}${value === undefined ? '' : ` = ${value}`} ${problem}: allowed ${allowed}`);
    this.name = 'SceneError';
    this.field = field;
    this.value = value ?? 'undefined';
    this.allowed = allowed;
  }
}

/** SceneError with the arguments in reading order: field, value, what is wrong, what is allowed. */
export function sceneError(field: string, value: string | undefined, problem: string, allowed: string): SceneError {
  return new SceneError(field, value, allowed, problem);
}

/** A value as a person should see it in a message: short, and never the whole of a huge array. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (v === null || typeof v === 'boolean' || typeof v === 'undefined') return String(v);
  if (Array.isArray(v)) {
    // Length first: `every` on a huge (even holey) array would visit every index.
    const short = v.length <= 6 && v.every((e) => e === null || typeof e !== 'object');
    return short ? `[${v.map(show).join(', ')}]` : `an array of ${v.length} items`;
  }
  // a typed array where a scene wants a plain one (JSON has no Float64Array): say which, not 'an object'
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}${'length' in v ? ` of ${(v as Float64Array).length} items` : ''}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** x with 4 significant digits, for a measured quantity. */
export function fmt(x: number): string {
  return short(Number(x.toPrecision(4)));
}

/** x rounded down to 4 significant digits, so that "allowed <= X" stays true of the X shown. */
export function fmtDown(x: number): string {
  return round4(x, Math.floor);
}

/** x rounded up to 4 significant digits, so that "allowed >= X" stays true of the X shown. */
export function fmtUp(x: number): string {
  return round4(x, Math.ceil);
}

function round4(x: number, dir: (y: number) => number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  // already 4 digits (0.1875): x itself, not the next 4-digit number the quotient's rounding error would reach
  if (Number(x.toPrecision(4)) === x) return short(x);
  const p = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 3);
  // Division by p is exact enough for 4 digits; toPrecision drops the float noise of the product.
  return short(Number((dir(x / p) * p).toPrecision(4)));
}

// JavaScript writes numbers below 1e21 in full: 13040000000000000000 reads worse than 1.304e+19.
function short(r: number): string {
  if (!(Math.abs(r) >= 1e9)) return String(r);
  return r.toExponential(3).replace(/\.?0+e/, 'e');
}

/**
 * For a missing field: ` (the object has "materails": misspelt?)` where the object holds a key that
 * differs from it in case only, or by one edit (two for names of 5 letters or more), else ''. A
 * hand-written file's typo then shows where it is, not only what is absent.
 */
export function misspelling(obj: unknown, key: string): string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return '';
  const keys = Object.keys(obj).filter((k) => k !== key);
  const reach = key.length >= 5 ? 2 : 1;
  const near = keys.find((k) => k.toLowerCase() === key.toLowerCase())
    ?? keys.map((k) => ({ k, d: editDistance(k, key) })).filter((e) => e.d <= reach).sort((a, b) => a.d - b.d)[0]?.k;
  return near === undefined ? '' : ` (the object has ${JSON.stringify(near)}: misspelt?)`;
}

/** Insertions, deletions, substitutions and swaps of neighbours that turn a into b (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
