import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ganttSummary, renderGanttSvg, type GanttActivity } from '@fillsched/gantt';

interface Props {
  activities: readonly GanttActivity[];
  lateLots?: readonly string[];
  title: string;
  /** Unique per chart on a page (pattern ids). */
  idPrefix: string;
  /** The scale that "Fit" returns to (charts stacked for comparison share one); default: fit the plan. */
  fitPxPerHour?: number;
}

interface Tip {
  text: string[];
  x: number;
  y: number;
}

const ZOOM_STEP = 1.5;

const bars = (lane: Element | null): Element[] => (lane ? [...lane.querySelectorAll(':scope > .bar')] : []);

/**
 * Roving focus over the bars: ←/→ the previous/next activity on the line, Home/End the first/last,
 * ↑/↓ the activity running at the same time (or next) on the line above/below.
 */
function neighbour(bar: Element, key: string): Element | undefined {
  const lane = bar.closest('.lane');
  const own = bars(lane);
  const i = own.indexOf(bar);
  if (key === 'ArrowRight') return own[i + 1];
  if (key === 'ArrowLeft') return own[i - 1];
  if (key === 'Home') return own[0];
  if (key === 'End') return own[own.length - 1];
  if (key !== 'ArrowUp' && key !== 'ArrowDown') return undefined;
  let other = key === 'ArrowDown' ? lane?.nextElementSibling : lane?.previousElementSibling;
  while (other && !other.classList.contains('lane')) other = null;
  const candidates = bars(other ?? null);
  const start = bar.getAttribute('data-start') ?? '';
  return (
    candidates.find((b) => (b.getAttribute('data-end') ?? '') > start) ?? candidates[candidates.length - 1]
  );
}

/** `2025-01-02T00:00:00.000Z` → `2025-01-02 00:00` (times are UTC, as in the exports). */
const short = (iso: string): string => iso.replace('T', ' ').slice(0, 16);

/**
 * The shared renderer's SVG inside a scrolling viewport: zoom (buttons, Ctrl+wheel, +/- keys),
 * pan (scrollbars, drag, arrow keys on the viewport), details on hover and on keyboard focus.
 * `data-render-ms` on the figure says how long the last render took (markup + layout).
 */
export function Gantt({ activities, lateLots, title, idPrefix, fitPxPerHour }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const [pxPerHour, setPxPerHour] = useState<number | null>(null);
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const fit = useMemo(
    () => fitPxPerHour ?? ganttSummary(activities, { fitWidth: 1000 }).pxPerHour,
    [activities, fitPxPerHour],
  );
  const scale = pxPerHour ?? fit;

  useLayoutEffect(() => {
    const t0 = performance.now();
    const svg = renderGanttSvg(activities, { pxPerHour: scale, lateLots, title, idPrefix });
    if (host.current) {
      host.current.innerHTML = svg;
      void host.current.getBoundingClientRect(); // force layout so the figure includes it
    }
    setRenderMs(Math.round(performance.now() - t0));
  }, [activities, lateLots, scale, title, idPrefix]);

  const zoom = useCallback(
    (factor: number) => {
      const vp = viewport.current;
      const centre = vp ? (vp.scrollLeft + vp.clientWidth / 2) / scale : 0;
      const next = Math.min(400, Math.max(0.5, scale * factor));
      setPxPerHour(next);
      requestAnimationFrame(() => {
        if (vp) vp.scrollLeft = centre * next - vp.clientWidth / 2;
      });
    },
    [scale],
  );

  // Lane names stay in view while panning: the renderer's label group follows the scroll offset.
  useEffect(() => {
    const vp = viewport.current;
    if (!vp) return;
    let frame = 0;
    const follow = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() =>
        host.current
          ?.querySelector('.lane-labels')
          ?.setAttribute('transform', `translate(${vp.scrollLeft},0)`),
      );
    };
    follow();
    vp.addEventListener('scroll', follow, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      vp.removeEventListener('scroll', follow);
    };
  }, [scale, activities, lateLots, title]);

  // Ctrl+wheel zooms (passive: false to keep the page from zooming); plain wheel scrolls.
  useEffect(() => {
    const vp = viewport.current;
    if (!vp) return;
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      zoom(e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
    };
    vp.addEventListener('wheel', onWheel, { passive: false });
    return () => vp.removeEventListener('wheel', onWheel);
  }, [zoom]);

  // Drag to pan.
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  const onPointerDown = (e: React.PointerEvent) => {
    const vp = viewport.current;
    if (!vp || e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, left: vp.scrollLeft, top: vp.scrollTop };
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const vp = viewport.current;
    if (!vp || !drag.current) return;
    vp.scrollLeft = drag.current.left - (e.clientX - drag.current.x);
    vp.scrollTop = drag.current.top - (e.clientY - drag.current.y);
  };
  const endDrag = () => (drag.current = null);

  const showTip = (
    target: EventTarget | null,
    rectFrom: 'mouse' | 'focus',
    ev?: { clientX: number; clientY: number },
  ) => {
    const bar = (target as Element | null)?.closest?.('.bar');
    if (!bar || !viewport.current) return setTip(null);
    const d = (k: string) => bar.getAttribute(`data-${k}`) ?? '';
    const kind = d('kind');
    const text = [
      kind === 'FILL' ? `Lot ${d('lot-id')} · ${d('type')}` : kind.charAt(0) + kind.slice(1).toLowerCase(),
      `Line ${d('line')}`,
      `${short(d('start'))} → ${short(d('end'))} UTC`,
      ...(d('late') ? ['Late: finishes after its due time'] : []),
    ];
    const box = viewport.current.getBoundingClientRect();
    const r = bar.getBoundingClientRect();
    const px = rectFrom === 'mouse' && ev ? ev.clientX : r.left + r.width / 2;
    const py = rectFrom === 'mouse' && ev ? ev.clientY : r.top;
    const vp = viewport.current;
    setTip({ text, x: px - box.left + vp.scrollLeft + 12, y: py - box.top + vp.scrollTop + 16 });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const vp = viewport.current;
    if (!vp) return;
    const bar = (e.target as Element).closest?.('.bar');
    if (bar) {
      const next = neighbour(bar, e.key);
      if (next) {
        e.preventDefault();
        bar.setAttribute('tabindex', '-1');
        next.setAttribute('tabindex', '0');
        (next as SVGGElement).focus();
        next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        return;
      }
    }
    if (e.key === '+' || e.key === '=') zoom(ZOOM_STEP);
    else if (e.key === '-') zoom(1 / ZOOM_STEP);
    else if (e.target === vp && e.key === 'ArrowRight') vp.scrollLeft += 120;
    else if (e.target === vp && e.key === 'ArrowLeft') vp.scrollLeft -= 120;
    else if (e.key === 'Escape') setTip(null);
    else return;
    e.preventDefault();
  };

  return (
    <figure className="gantt-figure" data-render-ms={renderMs ?? undefined}>
      <div className="gantt-toolbar" role="toolbar" aria-label={`${title}: zoom`}>
        <button type="button" onClick={() => zoom(1 / ZOOM_STEP)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => zoom(ZOOM_STEP)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => setPxPerHour(null)}>
          Fit
        </button>
        <span className="muted">
          {scale.toFixed(1)} px/h · Ctrl+wheel or +/− zooms, drag or arrows pan
          {renderMs !== null ? ` · rendered in ${renderMs} ms` : ''}
        </span>
      </div>
      <div
        className="gantt-viewport"
        ref={viewport}
        tabIndex={0}
        role="region"
        aria-label={`${title} (scrollable)`}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerLeave={() => {
          endDrag();
          setTip(null);
        }}
        onMouseOver={(e) => showTip(e.target, 'mouse', e)}
        onFocus={(e) => showTip(e.target, 'focus')}
        onBlur={() => setTip(null)}
      >
        <div ref={host} className="gantt-host" />
        {tip && (
          <div
            className="gantt-tip"
            role="status"
            ref={(el) => {
              if (el) {
                el.style.left = `${tip.x}px`;
                el.style.top = `${tip.y}px`;
              }
            }}
          >
            {tip.text.map((t) => (
              <div key={t}>{t}</div>
            ))}
          </div>
        )}
      </div>
    </figure>
  );
}
