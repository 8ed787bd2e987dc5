/**
 * A horizontal bar chart as a standalone SVG string, on a log scale (the benchmarks span
 * hundreds to hundreds of thousands per second). No dependency: a few rects and texts.
 */

export interface Bar {
  label: string;
  value: number;
  /** Shown after the value: `msg/s`. */
  unit: string;
  /** Bars of a group share a colour. */
  group: string;
}

const COLOURS = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#6b7280', '#dc2626'];

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function tickLabel(power: number): string {
  const n = 10 ** power;
  return n >= 1000 ? `${(n / 1000).toLocaleString('en-US')}k` : String(n);
}

/** The chart: one row per bar, in the order given, with a legend of groups. */
export function barChart(title: string, bars: readonly Bar[]): string {
  const labelWidth = 330;
  const plotWidth = 420;
  const valueWidth = 150;
  const rowHeight = 24;
  const top = 56;
  const width = labelWidth + plotWidth + valueWidth;
  const groups = [...new Set(bars.map((b) => b.group))];
  const legendHeight = 28;
  const height = top + bars.length * rowHeight + 30 + legendHeight;
  const positive = bars.map((b) => b.value).filter((v) => v > 0);
  const low = positive.length > 0 ? Math.floor(Math.log10(Math.min(...positive))) : 0;
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...positive, 1))));
  const x = (v: number) =>
    labelWidth + (v <= 0 ? 0 : ((Math.log10(v) - low) / Math.max(1, high - low)) * plotWidth);
  const colour = (group: string) => COLOURS[groups.indexOf(group) % COLOURS.length] ?? '#000';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="600" fill="#111827">${escape(title)}</text>`,
    `<text x="12" y="42" fill="#6b7280">per second, log scale</text>`,
  ];
  const bottom = top + bars.length * rowHeight;
  for (let p = low; p <= high; p++) {
    const px = x(10 ** p).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top - 4}" x2="${px}" y2="${bottom}" stroke="#e5e7eb"/>`,
      `<text x="${px}" y="${bottom + 16}" text-anchor="middle" fill="#6b7280">${tickLabel(p)}</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const end = x(bar.value);
    out.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" fill="#111827">${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(1, end - labelWidth).toFixed(1)}" height="${rowHeight - 8}" rx="2" fill="${colour(bar.group)}"/>`,
      `<text x="${(end + 6).toFixed(1)}" y="${y + 16}" fill="#374151">${escape(`${Math.round(bar.value).toLocaleString('en-US')} ${bar.unit}`)}</text>`,
    );
  });
  let lx = 12;
  const ly = bottom + 40;
  for (const group of groups) {
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${colour(group)}"/>`,
      `<text x="${lx + 18}" y="${ly}" fill="#374151">${escape(group)}</text>`,
    );
    lx += 18 + group.length * 7 + 24;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
