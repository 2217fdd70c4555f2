// loss.svg: the loss curve of an optimization as a standalone SVG (any browser or image viewer
// opens it; no tool needed). The loss per iteration and the best so far; a logarithmic axis when
// every loss is positive and they span more than a decade; the task's threshold as a dashed line.

const W = 640, H = 360, L = 70, R = 20, T = 40, B = 50;

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function lossSvg(title: string, losses: number[], best: number[], threshold: number | null): string {
  const finite = [...losses, ...best, ...(threshold !== null ? [threshold] : [])].filter(Number.isFinite);
  let lo = Math.min(...finite), hi = Math.max(...finite);
  const log = finite.length > 0 && lo > 0 && hi / lo > 10;
  const f = (y: number) => (log ? Math.log10(y) : y);
  if (!finite.length) { lo = 0; hi = 1; }
  let a = f(lo), b = f(hi);
  if (a === b) { a -= 0.5; b += 0.5; }
  const n = Math.max(2, losses.length);
  const px = (i: number) => L + ((W - L - R) * i) / (n - 1);
  const py = (y: number) => T + (H - T - B) * (1 - (f(y) - a) / (b - a));
  const path = (ys: number[]) => ys.map((y, i) => (Number.isFinite(y) ? `${px(i).toFixed(1)},${py(y).toFixed(1)}` : null)).filter(Boolean).join(' ');
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = a + ((b - a) * k) / 4, y = T + (H - T - B) * (1 - k / 4);
    const label = log ? (10 ** v).toExponential(1) : v.toPrecision(3);
    ticks.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${L - 6}" y="${y + 4}" text-anchor="end">${label}</text>`);
  }
  const th = threshold !== null && Number.isFinite(threshold) && f(threshold) >= a && f(threshold) <= b
    ? `<line x1="${L}" x2="${W - R}" y1="${py(threshold)}" y2="${py(threshold)}" stroke="#2a2" stroke-dasharray="6 4"/><text x="${W - R}" y="${py(threshold) - 4}" text-anchor="end" fill="#2a2">threshold</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}: loss per iteration${log ? ' (log scale)' : ''}</text>
${ticks.join('\n')}
<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">iteration (${losses.length})</text>
${th}
<polyline fill="none" stroke="#bbb" stroke-width="1.5" points="${path(losses)}"/>
<polyline fill="none" stroke="#c33" stroke-width="2" points="${path(best)}"/>
<text x="${W - R}" y="${T - 6}" text-anchor="end"><tspan fill="#999">loss</tspan>  <tspan fill="#c33">best</tspan></text>
</svg>
`;
}
