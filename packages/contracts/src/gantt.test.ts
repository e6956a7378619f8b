import {
  ganttSummary,
  labelColour,
  lateLotIds,
  PRODUCT_PALETTE,
  renderGanttSvg,
  type GanttActivity,
} from './gantt';

const acts: GanttActivity[] = [
  {
    kind: 'FILL',
    line: 1,
    lot_id: 'A1',
    type: 'VialE',
    start: '2024-01-01T00:00:00',
    end: '2024-01-01T05:00:00',
  },
  { kind: 'CHANGEOVER', line: 1, start: '2024-01-01T05:00:00', end: '2024-01-01T06:00:00' },
  {
    kind: 'FILL',
    line: 1,
    lot_id: 'A<3>',
    type: 'VialH',
    start: '2024-01-01T06:00:00',
    end: '2024-01-01T09:00:00',
  },
  { kind: 'CLEAN', line: 2, start: '2024-01-01T00:00:00', end: '2024-01-01T02:00:00' },
  {
    kind: 'FILL',
    line: 2,
    lot_id: 'A2',
    type: 'VialE',
    start: '2024-01-01T02:00:00',
    end: '2024-01-01T10:00:00',
  },
  { kind: 'IDLE', line: 2, start: '2024-01-01T10:00:00', end: '2024-01-01T11:00:00' },
  { kind: 'DOWNTIME', line: 3, start: '2024-01-01T01:00:00', end: '2024-01-01T03:00:00' },
];

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('renderGanttSvg', () => {
  test('one lane per line and one bar per activity, with the stable data hooks', () => {
    const svg = renderGanttSvg(acts);
    expect(count(svg, /<g class="lane" data-line="/g)).toBe(3);
    expect(count(svg, /<g class="bar /g)).toBe(acts.length);
    expect(count(svg, /class="bar bar-fill[^"]*"[^>]*data-lot-id=/g)).toBe(3);
    expect(svg).toContain('data-lot-id="A&lt;3&gt;"'); // escaped, never raw markup
    expect(svg).not.toContain('A<3>');
    expect(svg).not.toMatch(/style=|<style/); // a strict CSP accepts it
  });

  test('fills are coloured by product, the other kinds by pattern, same product same colour', () => {
    const svg = renderGanttSvg(acts);
    const fillOf = (lot: string) =>
      new RegExp(`data-lot-id="${lot}"[^]*?<rect [^>]*fill="([^"]+)"`).exec(svg)?.[1];
    expect(fillOf('A1')).toBe(PRODUCT_PALETTE[0]);
    expect(fillOf('A2')).toBe(PRODUCT_PALETTE[0]);
    expect(fillOf('A&lt;3&gt;')).toBe(PRODUCT_PALETTE[1]);
    expect(svg).toMatch(/data-kind="CHANGEOVER"[^]*?fill="url\(#g-hatch\)"/);
    expect(svg).toMatch(/data-kind="CLEAN"[^]*?fill="url\(#g-clean\)"/);
    expect(svg).toMatch(/data-kind="DOWNTIME"[^]*?fill="url\(#g-down\)"/);
  });

  test('late lots are marked; the scale and extent follow the options', () => {
    const late = lateLotIds(acts, [
      { lot_id: 'A1', end_window: '2024-01-01T04:00:00' },
      { lot_id: 'A2', end_window: '2024-01-02T00:00:00' },
    ]);
    expect(late).toEqual(['A1']);
    const svg = renderGanttSvg(acts, { lateLots: late, pxPerHour: 10, idPrefix: 'x', standalone: true });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(count(svg, /data-late="true"/g)).toBe(1);
    expect(svg).toContain('url(#x-hatch)');
    const s = ganttSummary(acts, { pxPerHour: 10 });
    expect(s.width).toBe(92 + 11 * 10 + 16);
    expect(s.lines).toEqual([1, 2, 3]);
  });

  test('label colour keeps a 4.5:1 contrast on every palette colour', () => {
    const lum = (hex: string) => {
      const v = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    };
    for (const c of PRODUCT_PALETTE) {
      const [a, b] = [lum(c), lum(labelColour(c))].sort((p, q) => q - p);
      expect((a + 0.05) / (b + 0.05)).toBeGreaterThanOrEqual(4.5);
    }
  });

  test('one tab stop for the chart: the first bar; the others are reached with the arrow keys', () => {
    const svg = renderGanttSvg(acts);
    expect(count(svg, /tabindex="0"/g)).toBe(1);
    expect(count(svg, /tabindex="-1"/g)).toBe(acts.length - 1);
    expect(renderGanttSvg(acts, { focusable: false })).not.toContain('tabindex');
    // details: aria-label everywhere, <title> tooltips only in the standalone (non-focusable) file
    expect(count(renderGanttSvg(acts, { focusable: false }), /<title>Lot /g)).toBe(3);
    expect(count(svg, /<title>Lot /g)).toBe(0);
    expect(
      count(svg, /aria-label="Lot A1 \(VialE\), line 1, 2024-01-01 00:00 to 2024-01-01 05:00 UTC, 5 h"/g),
    ).toBe(1);
  });

  test('an empty plan still renders a valid chart', () => {
    expect(renderGanttSvg([])).toMatch(/^<svg[^]*<\/svg>$/);
  });
});
