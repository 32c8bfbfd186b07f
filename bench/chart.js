'use strict';
// The chart next to bench/REPORT.md: for every row (operations, then workloads), the ratio of
// pymmap to the faster CPython on each runtime, as bars on a log scale around the 1x line
// (right of it: pymmap faster), with the row's floor marked. Plain SVG, written by run.js.

const COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#d62728', '#8c564b', '#17becf'];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * series: [{label}] (one per runtime); rows: [{label, values: [ratio per series], floor}].
 * Returns the SVG text.
 */
function chart({ title, subtitle, series, rows }) {
  const lo = 0.02;
  const hi = 100;
  const labelW = 360;
  const plotW = 520;
  const barH = 7;
  const gap = 8;
  const top = 70;
  const rowH = series.length * barH + gap;
  const height = top + rows.length * rowH + 50;
  const width = labelW + plotW + 40;
  const x = (r) => labelW + (Math.log10(Math.min(hi, Math.max(lo, r))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plotW;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="10" y="34" fill="#555">${esc(subtitle)}</text>`);
  // legend
  let lx = 10;
  series.forEach((s, i) => {
    out.push(`<rect x="${lx}" y="44" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="53">${esc(s.label)}</text>`);
    lx += 24 + s.label.length * 6.2;
  });
  out.push(`<line x1="${lx + 4}" y1="49" x2="${lx + 18}" y2="49" stroke="#ff7f0e" stroke-width="3"/><text x="${lx + 22}" y="53">floor</text>`);
  // grid
  for (const g of [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]) {
    const gx = x(g).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 40}" stroke="${g === 1 ? '#000' : '#ddd'}" stroke-width="${g === 1 ? 1.5 : 1}"/>`);
    out.push(`<text x="${gx}" y="${height - 26}" text-anchor="middle" fill="#333">${g}x</text>`);
  }
  out.push(`<text x="${x(1).toFixed(1)}" y="${height - 10}" text-anchor="middle" fill="#333">pymmap / faster CPython (log scale; right of 1x: pymmap faster)</text>`);
  rows.forEach((r, k) => {
    const y0 = top + k * rowH;
    out.push(`<text x="${labelW - 8}" y="${(y0 + (series.length * barH) / 2 + 4).toFixed(1)}" text-anchor="end">${esc(r.label)}</text>`);
    r.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const x1 = x(Math.min(v, 1));
      const x2 = x(Math.max(v, 1));
      out.push(`<rect x="${x1.toFixed(1)}" y="${y0 + i * barH}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${barH - 1}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${r.label} - ${series[i].label}: ${v.toFixed(2)}x`)}</title></rect>`);
    });
    if (Number.isFinite(r.floor)) {
      const fx = x(r.floor).toFixed(1);
      out.push(`<line x1="${fx}" y1="${y0 - 2}" x2="${fx}" y2="${y0 + series.length * barH + 1}" stroke="#ff7f0e" stroke-width="3"/>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

module.exports = { chart };
