// A hand-written SVG line chart of hotplug latency against the number of
// secondaries: one line per implementation and operation (medians), a thin
// bar from each median up to its p90. The y axis is logarithmic: latencies
// span 0.1 ms to 100 ms between N=0 and N=16. No dependencies.

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  /** One point per x, in the order of `xs`; NaN leaves a gap. */
  readonly median: readonly number[];
  readonly p90: readonly number[];
}

const W = 860;
const H = 440;
const M = { left: 64, right: 290, top: 48, bottom: 56 };

/** Decade ticks with 2 and 5 between: 0.1, 0.2, 0.5, 1, 2, 5, … */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const f of [1, 2, 5]) {
      const v = f * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(Number(v.toPrecision(3)));
    }
  }
  return ticks;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencyChart(title: string, subtitle: string, xs: readonly number[], series: readonly Series[]): string {
  const values = series.flatMap((s) => [...s.median, ...s.p90]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.min(1, ...values);
  const hi = Math.max(lo * 10, ...values);
  const yMin = logTicks(lo / 10, lo).pop() ?? lo; // the 1-2-5 tick at or under the smallest value
  const yMax = logTicks(hi, hi * 10)[0] ?? hi; // and at or over the largest
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // Secondaries are spaced evenly (0, 1, 2, 4, 8, 16 read as a doubling scale).
  const pad = 24; // keeps the p90 bars of N=0 off the axis
  const x = (i: number): number => M.left + pad + (xs.length === 1 ? (pw - 2 * pad) / 2 : ((pw - 2 * pad) * i) / (xs.length - 1));
  const y = (v: number): number => M.top + ph - (ph * Math.log10(Math.max(v, yMin) / yMin)) / Math.log10(yMax / yMin);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${M.left}" y="36" fill="#555">${esc(subtitle)}</text>`,
  ];
  for (const v of logTicks(yMin, yMax)) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v}</text>`);
  }
  xs.forEach((n, i) => {
    out.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(i)}" y="${M.top + ph + 18}" text-anchor="middle">${n}</text>`);
  });
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">secondaries N (evenly spaced: a doubling scale)</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">ms, log scale (median; bar to p90)</text>`);
  series.forEach((s, k) => {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const pts = s.median.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null));
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1) out.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      run = [];
    };
    for (const p of pts) {
      if (p) run.push(p);
      else flush();
    }
    flush();
    s.median.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const off = (k - (series.length - 1) / 2) * 3; // keep the p90 bars of the series apart
      const p90 = s.p90[i] ?? NaN;
      if (Number.isFinite(p90)) out.push(`<line x1="${x(i) + off}" x2="${x(i) + off}" y1="${y(v).toFixed(1)}" y2="${y(p90).toFixed(1)}" stroke="${s.color}" stroke-opacity="0.5" stroke-width="2"/>`);
      out.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`);
    });
    const ly = M.top + 10 + k * 20;
    out.push(`<line x1="${W - M.right + 16}" x2="${W - M.right + 46}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - M.right + 52}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
