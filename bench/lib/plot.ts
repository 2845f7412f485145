// A small SVG line-chart writer for the scaling plots in docs/ (no plotting dependency: the
// charts are a few lines and points, and the file must be reproducible byte for byte).

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 420;
const H = 300;
const M = { left: 58, right: 12, top: 30, bottom: 78 };

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 1 : 0));

function chartSvg(c: Chart, ox: number): string {
  const all = c.series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(...all.map((p) => p.x)));
  const yMax = niceMax(Math.max(...all.map((p) => p.y)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number) => ox + M.left + (x / xMax) * pw;
  const Y = (y: number) => M.top + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<text x="${ox + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5;
    const xv = (xMax * i) / 5;
    out.push(`<line x1="${X(0)}" y1="${Y(yv).toFixed(1)}" x2="${X(xMax)}" y2="${Y(yv).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${X(0) - 4}" y="${(Y(yv) + 4).toFixed(1)}" text-anchor="end">${num(yv)}</text>`);
    out.push(`<text x="${X(xv).toFixed(1)}" y="${Y(0) + 16}" text-anchor="middle">${num(xv)}</text>`);
  }
  out.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(xMax)}" y2="${Y(0)}" stroke="#333"/>`);
  out.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(0)}" y2="${Y(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${X(xMax / 2)}" y="${Y(0) + 32}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 14},${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  c.series.filter((s) => s.points.length).forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''} points="${d}"/>`);
    for (const p of pts) out.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = Y(0) + 48 + Math.floor(i / 2) * 14;
    const lx = ox + M.left + (i % 2) * (pw / 2);
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    out.push(`<text x="${lx + 22}" y="${ly}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Charts side by side in one SVG document. */
export function renderCharts(charts: readonly Chart[]): string {
  const width = W * charts.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    ...charts.filter((c) => c.series.some((s) => s.points.length)).map((c, i) => chartSvg(c, i * W)),
    '</svg>',
  ].join('\n') + '\n';
}
