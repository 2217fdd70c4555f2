// Parameter names that cannot be optimized together: one name twice, or two names that set the same
// controls (the raw actuation and its periodic gait; a body's waypoints and its per-step track).
// Checked where a scene is validated, where a run is configured and in ParameterVector.

/** Why these names cannot be optimized together, or null. */
export function paramNameConflict(names: readonly string[]): string | null {
  const dup = names.find((n, k) => names.indexOf(n) !== k);
  if (dup !== undefined) return `'${dup}' is named twice`;
  if (names.includes('actuation') && names.includes('actuation.periodic')) return `'actuation' and 'actuation.periodic' both set the actuation: name one`;
  for (const n of names.filter((x) => x.endsWith('.waypoints'))) {
    const body = n.slice(0, -'.waypoints'.length);
    const clash = names.find((x) => x === `${body}.position` || x === `${body}.velocity`);
    if (clash) return `'${n}' and '${clash}' both set ${body}'s track: name one`;
  }
  return null;
}
