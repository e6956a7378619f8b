/**
 * The Gantt chart of a schedule as SVG markup: ONE renderer for the console (which inserts the
 * markup and adds hover, focus, zoom and pan around it) and for `GET /schedule/{id}/export?format=svg`
 * (a standalone file for reports and e-mail). Pure: no I/O, no DOM, no imports, so the browser
 * bundle takes this file alone.
 *
 * Stable hooks: every lane is `<g data-line="N">`, every activity bar `<g class="bar …" data-kind>`
 * with `data-lot-id` when the activity belongs to a lot. Only presentation attributes are used
 * (no `style` attribute, no `<style>` element), so a strict CSP (`style-src 'self'`) accepts it.
 */

export type GanttKind = 'CLEAN' | 'CHANGEOVER' | 'FILL' | 'IDLE' | 'DOWNTIME';

export interface GanttActivity {
  kind: GanttKind;
  line: number;
  lot_id?: string;
  type?: string;
  /** ISO 8601; without a zone the time is read as UTC (the engine's timestamps have none). */
  start: string;
  end: string;
}

export interface GanttOptions {
  /** Horizontal scale; default: the plan fits about `fitWidth` pixels (2..60 px per hour). */
  pxPerHour?: number;
  fitWidth?: number;
  /** Accessible title (also the `<title>` of the document). */
  title?: string;
  /** Lots that finish after their due time: drawn with a red outline and a marker. */
  lateLots?: Iterable<string>;
  /** Prefix of the ids inside the SVG (patterns), so several charts can share a page. */
  idPrefix?: string;
  /** Adds the XML declaration (a standalone .svg file). */
  standalone?: boolean;
  /**
   * Bars are focusable (the console): one tab stop for the whole chart (the first bar,
   * `tabindex="0"`), every other bar `tabindex="-1"`, reached with the arrow keys (roving focus), so
   * Tab does not walk through thousands of bars. Default true.
   */
  focusable?: boolean;
}

/** Geometry of the layout (exported for tests and for the console's pan/zoom arithmetic). */
export const GANTT_LAYOUT = {
  gutter: 92,
  axisHeight: 34,
  laneHeight: 30,
  barHeight: 22,
  legendHeight: 30,
  rightPad: 16,
} as const;

/**
 * Product colours: distinguishable, dark enough for white text or light enough for dark text
 * (the label colour is chosen per fill for a contrast ratio of at least 4.5:1).
 */
export const PRODUCT_PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#e7ba52',
  '#637939',
  '#843c39',
  '#7b4173',
  '#3182bd',
] as const;

/** How the non-fill kinds look: a fill and a pattern, so they differ without colour too. */
export const KIND_STYLE: Record<Exclude<GanttKind, 'FILL'>, { fill: string; label: string }> = {
  CLEAN: { fill: '#5b7083', label: 'Cleaning' },
  CHANGEOVER: { fill: '#b8860b', label: 'Changeover' },
  IDLE: { fill: '#eef0f2', label: 'Idle' },
  DOWNTIME: { fill: '#3d3d3d', label: 'Downtime' },
};

const HOUR_MS = 3_600_000;

/** Milliseconds since the epoch; a timestamp without a zone is UTC. NaN when unreadable. */
export function ganttTime(iso: string): number {
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  return Date.parse(zoned ? iso : `${iso}Z`);
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function luminance(hex: string): number {
  const v = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

/** Black or white, whichever contrasts more with the fill (WCAG relative luminance). */
export function labelColour(fill: string): string {
  const l = luminance(fill);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** Product → colour, by the sorted product names, so every chart of the same lots agrees. */
export function productColours(activities: readonly GanttActivity[]): Map<string, string> {
  const types = [...new Set(activities.filter((a) => a.kind === 'FILL').map((a) => a.type ?? ''))].sort();
  return new Map(types.map((t, i) => [t, PRODUCT_PALETTE[i % PRODUCT_PALETTE.length]]));
}

const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const num = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Axis step in hours so that labels are at least ~70 px apart. */
function tickStep(pxPerHour: number): number {
  for (const h of [1, 2, 3, 6, 12, 24, 48, 168]) if (h * pxPerHour >= 70) return h;
  return 336;
}

export interface GanttSummary {
  lines: number[];
  startMs: number;
  endMs: number;
  pxPerHour: number;
  width: number;
  height: number;
}

/** The extent and scale renderGanttSvg uses. */
export function ganttSummary(activities: readonly GanttActivity[], opts: GanttOptions = {}): GanttSummary {
  let startMs = Infinity;
  let endMs = -Infinity;
  const lines = new Set<number>();
  for (const a of activities) {
    const s = ganttTime(a.start);
    const e = ganttTime(a.end);
    if (s < startMs) startMs = s;
    if (e > endMs) endMs = e;
    lines.add(a.line);
  }
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
    startMs = 0;
    endMs = HOUR_MS;
  }
  const hours = Math.max((endMs - startMs) / HOUR_MS, 1);
  const fit = opts.fitWidth ?? 1100;
  const pxPerHour = opts.pxPerHour ?? Math.min(60, Math.max(2, fit / hours));
  const L = GANTT_LAYOUT;
  const sorted = [...lines].sort((a, b) => a - b);
  return {
    lines: sorted,
    startMs,
    endMs,
    pxPerHour,
    width: Math.ceil(L.gutter + hours * pxPerHour + L.rightPad),
    height: L.axisHeight + Math.max(sorted.length, 1) * L.laneHeight + L.legendHeight,
  };
}

function describe(a: GanttActivity, late: boolean, startMs: number, endMs: number): string {
  const what =
    a.kind === 'FILL' ? `Lot ${a.lot_id ?? '?'} (${a.type ?? 'unknown product'})` : KIND_STYLE[a.kind].label;
  const hours = (endMs - startMs) / HOUR_MS;
  return `${what}, line ${a.line}, ${fmt(startMs)} to ${fmt(endMs)} UTC, ${num(hours)} h${late ? ', LATE' : ''}`;
}

/** The chart as SVG markup (a complete `<svg>` element). */
export function renderGanttSvg(activities: readonly GanttActivity[], opts: GanttOptions = {}): string {
  const L = GANTT_LAYOUT;
  const p = opts.idPrefix ?? 'g';
  const focusable = opts.focusable ?? true;
  const late = new Set(opts.lateLots ?? []);
  const sum = ganttSummary(activities, opts);
  const { startMs, pxPerHour, width, height } = sum;
  const colours = productColours(activities);
  const laneIndex = new Map(sum.lines.map((l, i) => [l, i]));
  const x = (ms: number) => L.gutter + ((ms - startMs) / HOUR_MS) * pxPerHour;
  const title = opts.title ?? 'Schedule Gantt chart';
  const out: string[] = [];
  if (opts.standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="group" aria-labelledby="${p}-title" font-family="system-ui, sans-serif" font-size="12" data-px-per-hour="${num(pxPerHour)}" data-start="${new Date(startMs).toISOString()}">`,
    `<title id="${p}-title">${escapeXml(title)}</title>`,
    '<defs>',
    `<pattern id="${p}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${KIND_STYLE.CHANGEOVER.fill}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" stroke-opacity="0.55"/></pattern>`,
    `<pattern id="${p}-clean" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${KIND_STYLE.CLEAN.fill}"/><circle cx="3" cy="3" r="1.2" fill="#ffffff" fill-opacity="0.6"/></pattern>`,
    `<pattern id="${p}-down" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="${KIND_STYLE.DOWNTIME.fill}"/><line x1="0" y1="0" x2="0" y2="8" stroke="#ff6b6b" stroke-width="3"/></pattern>`,
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  );

  // Axis: a tick per step, labelled with the date (day steps) or the time.
  const step = tickStep(pxPerHour);
  const stepMs = step * HOUR_MS;
  const laneBottom = L.axisHeight + sum.lines.length * L.laneHeight;
  out.push('<g class="axis" aria-hidden="true">');
  const first = Math.ceil(startMs / stepMs) * stepMs;
  for (let t = first; t <= sum.endMs + 1; t += stepMs) {
    const tx = x(t);
    const d = new Date(t).toISOString();
    const label = step >= 24 ? d.slice(5, 10) : `${d.slice(5, 10)} ${d.slice(11, 16)}`;
    out.push(
      `<line x1="${num(tx)}" y1="${L.axisHeight - 6}" x2="${num(tx)}" y2="${laneBottom}" stroke="#d0d5da" stroke-width="1"/>`,
      `<text x="${num(tx + 3)}" y="${L.axisHeight - 12}" fill="#333333">${label}</text>`,
    );
  }
  out.push('</g>');

  // Lanes, then bars grouped by lane (one <g data-line> per line).
  const byLine = new Map<number, GanttActivity[]>();
  for (const a of activities) {
    const list = byLine.get(a.line);
    if (list) list.push(a);
    else byLine.set(a.line, [a]);
  }
  let tabStopGiven = false;
  for (const line of sum.lines) {
    const i = laneIndex.get(line) ?? 0;
    const y = L.axisHeight + i * L.laneHeight;
    out.push(
      `<g class="lane" data-line="${line}" role="list" aria-label="Line ${line}">`,
      `<rect class="lane-bg" x="0" y="${y}" width="${width}" height="${L.laneHeight}" fill="${i % 2 ? '#f6f8fa' : '#ffffff'}"/>`,
    );
    const by = y + (L.laneHeight - L.barHeight) / 2;
    for (const a of byLine.get(line) ?? []) {
      const s = ganttTime(a.start);
      const e = ganttTime(a.end);
      const bx = x(s);
      const bw = Math.max(((e - s) / HOUR_MS) * pxPerHour, 1);
      const isLate = a.kind === 'FILL' && a.lot_id !== undefined && late.has(a.lot_id);
      const label = escapeXml(describe(a, isLate, s, e));
      const firstBar = !tabStopGiven;
      tabStopGiven = true;
      const fill =
        a.kind === 'FILL'
          ? (colours.get(a.type ?? '') ?? PRODUCT_PALETTE[0])
          : a.kind === 'CHANGEOVER'
            ? `url(#${p}-hatch)`
            : a.kind === 'CLEAN'
              ? `url(#${p}-clean)`
              : a.kind === 'DOWNTIME'
                ? `url(#${p}-down)`
                : KIND_STYLE.IDLE.fill;
      const attrs = [
        `class="bar bar-${a.kind.toLowerCase()}${isLate ? ' late' : ''}"`,
        `data-kind="${a.kind}"`,
        a.lot_id !== undefined ? `data-lot-id="${escapeXml(a.lot_id)}"` : '',
        a.type !== undefined ? `data-type="${escapeXml(a.type)}"` : '',
        `data-line="${a.line}"`,
        `data-start="${escapeXml(a.start)}"`,
        `data-end="${escapeXml(a.end)}"`,
        isLate ? 'data-late="true"' : '',
        'role="listitem"',
        focusable ? `tabindex="${firstBar ? '0' : '-1'}"` : '',
        `aria-label="${label}"`,
      ].filter(Boolean);
      const stroke =
        a.kind === 'IDLE'
          ? ' stroke="#8a939c" stroke-dasharray="3 2"'
          : isLate
            ? ' stroke="#c00000" stroke-width="2.5"'
            : ' stroke="#ffffff" stroke-width="0.5"';
      out.push(
        // A standalone file shows details through <title> tooltips; the console has its own.
        `<g ${attrs.join(' ')}>${focusable ? '' : `<title>${label}</title>`}`,
        `<rect x="${num(bx)}" y="${by}" width="${num(bw)}" height="${L.barHeight}" rx="2" fill="${fill}"${stroke}/>`,
      );
      if (a.kind === 'FILL' && a.lot_id !== undefined && bw >= 8 * a.lot_id.length + 6)
        out.push(
          `<text x="${num(bx + 4)}" y="${by + L.barHeight / 2 + 4}" fill="${labelColour(fill)}" pointer-events="none">${escapeXml(a.lot_id)}</text>`,
        );
      if (isLate)
        out.push(
          `<text x="${num(bx + bw - 9)}" y="${by - 1}" fill="#c00000" font-weight="700" pointer-events="none">!</text>`,
        );
      out.push('</g>');
    }
    out.push('</g>');
  }

  // Lane names last, on an opaque gutter, so a viewer can keep them in view while panning
  // (the console translates this group by the scroll offset).
  out.push(
    '<g class="lane-labels" aria-hidden="true">',
    `<rect x="0" y="${L.axisHeight}" width="${L.gutter - 4}" height="${laneBottom - L.axisHeight}" fill="#ffffff" fill-opacity="0.92"/>`,
  );
  for (const line of sum.lines) {
    const y = L.axisHeight + (laneIndex.get(line) ?? 0) * L.laneHeight;
    out.push(
      `<text x="8" y="${y + L.laneHeight / 2 + 4}" fill="#1b1f23" font-weight="600">Line ${line}</text>`,
    );
  }
  out.push('</g>');

  // Legend: products, then the other kinds.
  const ly = laneBottom + 10;
  let lx = 8;
  const entries: [string, string, string][] = [...colours].map(([t, c]) => [t || 'unknown', c, '']);
  entries.push(
    ['Changeover', `url(#${p}-hatch)`, ''],
    ['Cleaning', `url(#${p}-clean)`, ''],
    ['Idle', KIND_STYLE.IDLE.fill, ' stroke="#8a939c" stroke-dasharray="3 2"'],
    ['Downtime', `url(#${p}-down)`, ''],
    ['Late lot', '#ffffff', ' stroke="#c00000" stroke-width="2.5"'],
  );
  out.push('<g class="legend" aria-label="Legend">');
  for (const [label, fill, extra] of entries) {
    out.push(
      `<rect x="${lx}" y="${ly}" width="14" height="12" fill="${fill}"${extra}/>`,
      `<text x="${lx + 18}" y="${ly + 10}" fill="#1b1f23">${escapeXml(label)}</text>`,
    );
    lx += 26 + label.length * 7;
  }
  out.push('</g></svg>');
  return out.join('');
}

/** Lots whose fill ends after their `end_window` (due time), from the lots as submitted. */
export function lateLotIds(
  activities: readonly GanttActivity[],
  lots: readonly Record<string, unknown>[],
): string[] {
  const due = new Map<string, number>();
  for (const lot of lots) {
    const id = lot.lot_id ?? lot.id;
    const end = lot.end_window;
    if (typeof id === 'string' && typeof end === 'string' && end) due.set(id, ganttTime(end));
  }
  const late: string[] = [];
  for (const a of activities) {
    if (a.kind !== 'FILL' || a.lot_id === undefined) continue;
    const d = due.get(a.lot_id);
    if (d !== undefined && ganttTime(a.end) > d + 60_000) late.push(a.lot_id);
  }
  return late;
}
