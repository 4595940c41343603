// Small SVG charts for the analytics pages, with no library: a line chart (one or two
// series; a second series with another unit gets its own axis on the right) over time
// buckets or over a 0–100 % axis (retention), and a bar chart whose series go up or down
// from zero (subscribers gained above, lost below).
//
// Each chart is a <figure>: its title and legend, the SVG (role="img" with a summary as
// its label), a tooltip for the bucket under the pointer — or under the keyboard: the
// plot takes the focus and the arrow keys, Home and End step through the buckets — and a
// visually hidden table with every value, the text alternative. The SVG is drawn for the
// container's width (again when it changes), so text stays crisp at any size. Colours come
// from the stylesheet's classes (chart__line--1 …), never from inline styles (CSP).
//
//   const chart = lineChart({ title, series: [{ key, label, kind }], emptyText });
//   container.append(chart.element);
//   chart.update({ rows: answer.series, granularity: 'day' });
//
// series[i]: key (the row's field), label, kind ('count' | 'duration' in ms | 'percent' as
// a 0–1 share), axis: 'right' (line charts), direction: 'down' (bar charts), summable:
// false when a total of the buckets means nothing (unique viewers, averages, shares).
import { h } from '../dom.js';
import { formatCount, formatPercent, formatWatchTime } from '../format.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SECOND = 1000;
const MINUTE = 60_000;

let nextId = 0;

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child) element.append(child);
  }
  return element;
}

const round = (value) => Math.round(value * 10) / 10;

// ---------- values: how each kind reads, and nice steps for its axis ----------

const exact = new Intl.NumberFormat();

const kinds = {
  count: {
    axis: (value) => formatCount(value),
    full: (value) => exact.format(Math.round(value * 100) / 100),
    step: (raw) => Math.max(1, niceStep(raw)),
  },
  duration: {
    axis: (value) => formatWatchTime(value),
    full: (value) => formatWatchTime(value),
    step: durationStep,
  },
  percent: {
    axis: (value) => formatPercent(value),
    full: (value) => formatPercent(value),
    step: (raw) => [0.05, 0.1, 0.2, 0.25, 0.5, 1].find((step) => step >= raw) ?? 1,
  },
};

// 1, 2 or 5 times a power of ten, at least `raw`.
export function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return nice * magnitude;
}

// Steps people read on a clock: 5s, 30s, 1m, 15m, 1h, 6h …; beyond 12 h, nice hours.
const durationSteps = [1, 2, 5, 10, 15, 30].map((s) => s * SECOND)
  .concat([1, 2, 5, 10, 15, 30].map((m) => m * MINUTE), [1, 2, 3, 6, 12].map((x) => x * HOUR));

function durationStep(raw) {
  return durationSteps.find((step) => step >= raw) ?? niceStep(raw / HOUR) * HOUR;
}

// An axis from min to max in about `intervals` nice steps: {lo, hi, ticks}.
export function niceAxis(kind, min, max, intervals) {
  const { step: stepFor } = kinds[kind] ?? kinds.count;
  const span = Math.max(max - min, 0);
  const step = stepFor(span > 0 ? span / intervals : Math.max(Math.abs(max), 1) / intervals);
  let lo = Math.floor(min / step) * step;
  let hi = Math.ceil(max / step) * step;
  if (hi <= lo) hi = lo + step;
  lo = Math.min(lo, 0);
  const ticks = [];
  for (let value = lo; value <= hi + step / 1e6; value += step) ticks.push(Math.abs(value) < step / 1e6 ? 0 : value);
  return { lo, hi, ticks };
}

// A second axis that shares the first one's grid lines: the same number of intervals.
function alignedAxis(kind, max, intervals) {
  const { step: stepFor } = kinds[kind] ?? kinds.count;
  const step = stepFor(Math.max(max, 1e-9) / intervals);
  const ticks = Array.from({ length: intervals + 1 }, (_, i) => i * step);
  return { lo: 0, hi: step * intervals, ticks };
}

function axisLabel(kind, value) {
  if (value === 0) return '0';
  const format = (kinds[kind] ?? kinds.count).axis;
  return value < 0 ? `−${format(-value)}` : format(value);
}

function fullValue(kind, value) {
  const format = (kinds[kind] ?? kinds.count).full;
  return value < 0 ? `−${format(-value)}` : format(value);
}

// ---------- the x axis: UTC hours and days, or shares of a video ----------

const utc = (options) => new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...options });
const hourText = utc({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayText = utc({ month: 'short', day: 'numeric' });
const monthText = utc({ month: 'short' });
const monthYearText = utc({ month: 'short', year: 'numeric' });
const dayLongText = utc({ weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
const hourLongText = utc({ weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dateText = utc({ month: 'short', day: 'numeric', year: 'numeric' });

const dayIndex = (t) => Math.floor(t / DAY);
const isMidnight = (t) => t % DAY === 0;
const isMonday = (t) => isMidnight(t) && (dayIndex(t) + 3) % 7 === 0;  // 1 Jan 1970 was a Thursday
const monthStart = (t, every) => {
  const date = new Date(t);
  return isMidnight(t) && date.getUTCDate() === 1 && date.getUTCMonth() % every === 0;
};

const dayOrHour = (t) => (isMidnight(t) ? dayText.format(t) : hourText.format(t));
const monthLabel = (t) => (new Date(t).getUTCMonth() === 0 ? monthYearText : monthText).format(t);

// From the finest to the coarsest; the first that fits the width wins.
const timeRules = [
  ...[1, 2, 3, 6, 12].map((hours) => ({ hourly: true, test: (t) => t % (hours * HOUR) === 0, label: dayOrHour })),
  { test: isMidnight, label: (t) => dayText.format(t) },
  { test: (t) => isMidnight(t) && dayIndex(t) % 2 === 0, label: (t) => dayText.format(t) },
  { test: isMonday, label: (t) => dayText.format(t) },
  { test: (t) => isMonday(t) && Math.floor((dayIndex(t) + 3) / 7) % 2 === 0, label: (t) => dayText.format(t) },
  ...[1, 2, 3, 6].map((months) => ({ test: (t) => monthStart(t, months), label: monthLabel })),
  { test: (t) => monthStart(t, 12), label: (t) => monthYearText.format(t) },
];

// [{index, label}] for the buckets that get a tick, at most maxTicks of them.
function timeTicks(times, granularity, maxTicks) {
  for (const rule of timeRules) {
    if (rule.hourly && granularity !== 'hour') continue;
    const ticks = [];
    times.forEach((t, index) => {
      if (rule.test(t)) ticks.push({ index, label: rule.label(t) });
    });
    if (ticks.length > 0 && ticks.length <= maxTicks) return ticks;
  }
  return times.length ? [{ index: 0, label: dateText.format(times[0]) }] : [];
}

export function bucketLabel(t, granularity) {
  if (granularity === 'hour') return `${hourLongText.format(t)}–${hourText.format(t + HOUR)} UTC`;
  return dayLongText.format(t);
}

function fractionTicks(values, maxTicks) {
  const every = [0.1, 0.2, 0.25, 0.5, 1].find((step) => 1 / step + 1 <= maxTicks) ?? 1;
  const ticks = [];
  values.forEach((value, index) => {
    const steps = value / every;
    if (Math.abs(steps - Math.round(steps)) < 1e-6) ticks.push({ index, label: formatPercent(value) });
  });
  return ticks;
}

// ---------- the frame every chart shares ----------

function createFrame({ title, series, emptyText, testid, type }) {
  const id = `chart-${++nextId}`;
  const legend = series.length > 1 || series[0]?.direction
    ? h('ul', { class: 'chart__legend', 'aria-hidden': 'true' },
      series.map((s, i) => h('li', { class: 'chart__legend-item' },
        h('span', { class: `chart__swatch chart__swatch--${s.color ?? i + 1}` }),
        s.axis === 'right' ? `${s.label} (right axis)` : s.label)))
    : null;
  const tooltip = h('div', { class: 'chart__tooltip', hidden: true, 'aria-hidden': 'true' });
  const empty = h('p', { class: 'chart__empty', hidden: true, text: emptyText ?? 'Nothing to show for this period yet.' });
  const plot = h('div', { class: 'chart__plot' }, tooltip, empty);
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const table = h('table', { class: 'chart__table', id: `${id}-table` });
  const element = h('figure', { class: `chart chart--${type}`, dataset: { testid: testid ?? id, state: 'loading' } },
    h('figcaption', { class: 'chart__header' },
      h('h3', { class: 'chart__title', id: `${id}-title`, text: title }),
      legend),
    plot, live,
    // Hidden in a box of its own: a table is wider than its width when its cells need it.
    h('div', { class: 'visually-hidden' }, table));
  return { id, element, plot, tooltip, empty, live, table };
}

function fillTable(table, { title, xTitle, rows, series, xLabel }) {
  table.replaceChildren(
    h('caption', { text: title }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: xTitle }),
      series.map((s) => h('th', { scope: 'col', text: s.label })))),
    h('tbody', {}, rows.map((row, i) => h('tr', {},
      h('th', { scope: 'row', text: xLabel(i) }),
      series.map((s) => h('td', { text: fullValue(s.kind, Number(row[s.key]) || 0) }))))));
}

// Pointer and keyboard over the plot: setActive(index | null) draws the highlight.
function interact(frame, { count, indexAt, setActive, describe }) {
  const { plot, live } = frame;
  let active = null;
  let controller = new AbortController();
  const show = (index, announce) => {
    active = index;
    setActive(index);
    if (announce && index !== null) live.textContent = describe(index);
  };
  return {
    attach() {
      controller.abort();
      controller = new AbortController();
      const { signal } = controller;
      plot.addEventListener('pointermove', (event) => show(indexAt(event), false), { signal });
      plot.addEventListener('pointerdown', (event) => show(indexAt(event), false), { signal });
      // A finger lifted "leaves" at once: the tapped bucket stays shown until the focus goes.
      plot.addEventListener('pointerleave', (event) => {
        if (event.pointerType !== 'touch' && document.activeElement !== plot) show(null, false);
      }, { signal });
      plot.addEventListener('focus', () => show(active ?? count() - 1, true), { signal });
      plot.addEventListener('blur', () => show(null, false), { signal });
      plot.addEventListener('keydown', (event) => {
        const last = count() - 1;
        const moves = {
          ArrowLeft: (active ?? last + 1) - 1, ArrowRight: (active ?? -1) + 1, ArrowDown: (active ?? last + 1) - 1,
          ArrowUp: (active ?? -1) + 1, Home: 0, End: last,
        };
        if (event.key === 'Escape') {
          show(null, false);
          return;
        }
        if (!(event.key in moves)) return;
        event.preventDefault();
        show(Math.max(0, Math.min(last, moves[event.key])), true);
      }, { signal });
    },
    detach() {
      controller.abort();
      active = null;
    },
    redraw() {
      if (active !== null && active < count()) setActive(active);
      else active = null;
    },
  };
}

function placeTooltip(frame, { x, y, width, lines }) {
  const { tooltip } = frame;
  if (!lines) {
    tooltip.hidden = true;
    return;
  }
  tooltip.replaceChildren(
    h('p', { class: 'chart__tooltip-title', text: lines.title }),
    ...lines.values.map((v) => h('p', { class: 'chart__tooltip-row' },
      h('span', { class: `chart__swatch chart__swatch--${v.color}` }),
      h('span', { class: 'chart__tooltip-label', text: `${v.label}: ` }),
      h('strong', { text: v.value }))));
  tooltip.hidden = false;
  const box = tooltip.getBoundingClientRect();
  // Beside the point, on the side with room; never outside the plot.
  let left = x + 14;
  if (left + box.width > width) left = x - 14 - box.width;
  left = Math.max(0, Math.min(width - box.width, left));
  tooltip.style.left = `${Math.round(left)}px`;
  tooltip.style.top = `${Math.round(Math.max(0, y))}px`;
}

// Width (px) a label of this text takes at the chart's 12 px font, near enough.
const textWidth = (text) => String(text).length * 6.6;

function heightFor(width) {
  return width < 480 ? 200 : 240;
}

function observeWidth(frame, draw) {
  let width = 0;
  const observer = new ResizeObserver(() => {
    const next = Math.floor(frame.plot.clientWidth);
    if (next > 0 && next !== width) {
      width = next;
      draw(width);
    }
  });
  observer.observe(frame.plot);
  return {
    width: () => width || Math.floor(frame.plot.clientWidth),
  };
}

function yAxisNodes({ axis, kind, x, anchor, y, className }) {
  return axis.ticks.map((value) => svg('text', {
    class: `chart__tick ${className ?? ''}`.trim(), x, y: round(y(value)), 'text-anchor': anchor, 'dominant-baseline': 'middle',
  }, document.createTextNode(axisLabel(kind, value))));
}

// Labels centred under their tick, unless that would cut them at the SVG's edges.
function xAxisNodes({ ticks, xOf, bottom, width }) {
  const nodes = [];
  for (const tick of ticks) {
    const x = xOf(tick.index);
    const half = textWidth(tick.label) / 2;
    const anchor = x - half < 2 ? 'start' : x + half > width - 2 ? 'end' : 'middle';
    nodes.push(svg('line', { class: 'chart__tick-mark', x1: round(x), x2: round(x), y1: bottom, y2: bottom + 4 }));
    nodes.push(svg('text', { class: 'chart__tick', x: round(x), y: bottom + 18, 'text-anchor': anchor },
      document.createTextNode(tick.label)));
  }
  return nodes;
}

function summarize({ title, type, rows, series, xValue, xKind, granularity }) {
  if (rows.length === 0) return `${title}: no data.`;
  const xText = (i) => (xKind === 'fraction' ? formatPercent(xValue(i)) : bucketLabel(xValue(i), granularity));
  const span = xKind === 'fraction'
    ? 'from the start to the end of the video'
    : `from ${xText(0)} to ${xText(rows.length - 1)}`;
  const parts = series.map((s) => {
    const values = rows.map((row) => Number(row[s.key]) || 0);
    let peak = 0;
    values.forEach((v, i) => {
      if (v > values[peak]) peak = i;
    });
    const total = values.reduce((a, b) => a + b, 0);
    if (xKind === 'fraction') {
      return `${s.label}: ${fullValue(s.kind, values[0])} at the start, ${fullValue(s.kind, values[values.length - 1])} at the end`;
    }
    const highest = `highest ${fullValue(s.kind, values[peak])} (${xText(peak)})`;
    return s.summable === false ? `${s.label}: ${highest}` : `${s.label}: ${fullValue(s.kind, total)} in total, ${highest}`;
  });
  return `${title}, ${type} chart ${span}. ${parts.join('. ')}. Every value is in the table that follows.`;
}

// ---------- line chart ----------

export function lineChart({ title, series, x = 'time', yMax = null, emptyText, testid }) {
  const frame = createFrame({ title, series, emptyText, testid, type: 'line' });
  let data = { rows: [], granularity: 'day' };
  let geometry = null;
  let layer = null;

  const xValue = (i) => Number(data.rows[i]?.[x === 'fraction' ? 'at' : 't']) || 0;
  const values = (s) => data.rows.map((row) => Number(row[s.key]) || 0);
  const isEmpty = () => data.rows.length === 0 || (x !== 'fraction' && series.every((s) => values(s).every((v) => v === 0)));

  const tooltipLines = (index) => ({
    title: x === 'fraction' ? `At ${formatPercent(xValue(index))} of the video` : bucketLabel(xValue(index), data.granularity),
    values: series.map((s, i) => ({ label: s.label, color: s.color ?? i + 1, value: fullValue(s.kind, values(s)[index]) })),
  });

  const hover = interact(frame, {
    count: () => data.rows.length,
    indexAt: (event) => {
      if (!geometry) return null;
      const box = frame.plot.getBoundingClientRect();
      const px = event.clientX - box.left;
      const { left, step } = geometry;
      return Math.max(0, Math.min(data.rows.length - 1, Math.round((px - left) / (step || 1))));
    },
    setActive: (index) => {
      if (!geometry || !layer) return;
      const { guide, marks } = layer;
      if (index === null) {
        guide.setAttribute('visibility', 'hidden');
        for (const mark of marks) mark.setAttribute('visibility', 'hidden');
        placeTooltip(frame, { lines: null });
        return;
      }
      const px = geometry.xOf(index);
      guide.setAttribute('x1', round(px));
      guide.setAttribute('x2', round(px));
      guide.setAttribute('visibility', 'visible');
      let top = geometry.bottom;
      series.forEach((s, i) => {
        const py = geometry.yOf[i](values(s)[index]);
        top = Math.min(top, py);
        marks[i].setAttribute('cx', round(px));
        marks[i].setAttribute('cy', round(py));
        marks[i].setAttribute('visibility', 'visible');
      });
      placeTooltip(frame, { x: px, y: Math.min(top, geometry.bottom - 80) - 10, width: geometry.width, lines: tooltipLines(index) });
    },
    describe: (index) => {
      const lines = tooltipLines(index);
      return `${lines.title}: ${lines.values.map((v) => `${v.label} ${v.value}`).join(', ')}`;
    },
  });

  const draw = (width) => {
    frame.plot.querySelector('svg')?.remove();
    geometry = null;
    layer = null;
    if (isEmpty()) {
      frame.empty.hidden = false;
      frame.empty.style.minHeight = `${heightFor(width)}px`;  // the chart's own height: nothing jumps
      frame.element.dataset.state = 'empty';
      frame.plot.removeAttribute('tabindex');
      frame.plot.removeAttribute('role');
      frame.plot.removeAttribute('aria-label');
      frame.tooltip.hidden = true;
      hover.detach();
      return;
    }
    frame.empty.hidden = true;
    frame.element.dataset.state = 'ready';
    const height = heightFor(width);
    const top = 14;
    const bottom = height - 30;
    const n = data.rows.length;
    const leftSeries = series.filter((s) => s.axis !== 'right');
    const rightSeries = series.filter((s) => s.axis === 'right');
    const intervals = Math.max(2, Math.min(5, Math.floor((bottom - top) / 44)));
    const maxOf = (list) => Math.max(0, ...list.flatMap((s) => values(s)));
    const leftKind = leftSeries[0]?.kind ?? 'count';
    const leftAxis = yMax !== null
      ? niceAxis(leftKind, 0, yMax, intervals)
      : niceAxis(leftKind, Math.min(0, ...leftSeries.flatMap((s) => values(s))), maxOf(leftSeries), intervals);
    const rightKind = rightSeries[0]?.kind ?? 'count';
    const rightAxis = rightSeries.length ? alignedAxis(rightKind, maxOf(rightSeries), leftAxis.ticks.length - 1) : null;
    const leftWidth = Math.max(...leftAxis.ticks.map((v) => textWidth(axisLabel(leftKind, v))));
    const rightWidth = rightAxis ? Math.max(...rightAxis.ticks.map((v) => textWidth(axisLabel(rightKind, v)))) : 0;
    const left = Math.ceil(leftWidth + 12);
    const right = width - (rightAxis ? Math.ceil(rightWidth + 12) : 20);
    const step = n > 1 ? (right - left) / (n - 1) : 0;
    const xOf = (i) => (n > 1 ? left + i * step : (left + right) / 2);
    const yFor = (axis) => (value) => bottom - ((value - axis.lo) / (axis.hi - axis.lo)) * (bottom - top);
    const yLeft = yFor(leftAxis);
    const yRight = rightAxis ? yFor(rightAxis) : null;
    const yOf = series.map((s) => (s.axis === 'right' ? yRight : yLeft));
    geometry = { left, right, top, bottom, width, step, xOf, yOf };

    const maxTicks = Math.max(2, Math.floor((right - left) / (x === 'fraction' ? 52 : 72)) + 1);
    const xTicks = x === 'fraction'
      ? fractionTicks(data.rows.map((_, i) => xValue(i)), maxTicks)
      : timeTicks(data.rows.map((_, i) => xValue(i)), data.granularity, maxTicks);

    const grid = leftAxis.ticks.map((value) => svg('line', {
      class: value === 0 ? 'chart__zero' : 'chart__grid', x1: left, x2: right, y1: round(yLeft(value)), y2: round(yLeft(value)),
    }));
    const lines = series.map((s, i) => {
      const points = values(s).map((v, j) => `${round(xOf(j))},${round(yOf[i](v))}`);
      return svg('path', {
        class: `chart__line chart__line--${s.color ?? i + 1}`, d: `M${points.join('L')}`, 'data-series': s.key,
      });
    });
    const firstPoints = values(series[0]).map((v, j) => `${round(xOf(j))},${round(yOf[0](v))}`);
    const area = svg('path', {
      class: `chart__area chart__area--${series[0].color ?? 1}`,
      d: `M${round(xOf(0))},${round(yOf[0](0))}L${firstPoints.join('L')}L${round(xOf(n - 1))},${round(yOf[0](0))}Z`,
    });
    // Every data point gets a dot while they are far enough apart to tell apart.
    const dots = step >= 12 || n === 1
      ? series.map((s, i) => svg('g', { class: `chart__dots chart__dots--${s.color ?? i + 1}`, 'data-series': s.key },
        values(s).map((v, j) => svg('circle', { class: 'chart__dot', cx: round(xOf(j)), cy: round(yOf[i](v)), r: 3 }))))
      : [];
    const guide = svg('line', { class: 'chart__guide', x1: left, x2: left, y1: top, y2: bottom, visibility: 'hidden' });
    const marks = series.map((s, i) => svg('circle', {
      class: `chart__mark chart__mark--${s.color ?? i + 1}`, r: 5, cx: left, cy: bottom, visibility: 'hidden',
    }));
    layer = { guide, marks };

    const chart = svg('svg', {
      class: 'chart__svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': summarize({ title, type: 'line', rows: data.rows, series, xValue, xKind: x, granularity: data.granularity }),
      'data-points': n,
    },
    grid,
    yAxisNodes({ axis: leftAxis, kind: leftKind, x: left - 8, anchor: 'end', y: yLeft, className: rightAxis ? `chart__tick--${leftSeries[0].color ?? 1}` : '' }),
    rightAxis ? yAxisNodes({ axis: rightAxis, kind: rightKind, x: right + 8, anchor: 'start', y: yRight, className: `chart__tick--${rightSeries[0].color ?? 2}` }) : null,
    xAxisNodes({ ticks: xTicks, xOf, bottom, width }),
    area, lines, dots, guide, marks);
    frame.plot.prepend(chart);
    frame.plot.tabIndex = 0;
    frame.plot.setAttribute('role', 'group');
    frame.plot.setAttribute('aria-label', `${title}: the arrow keys step through the values`);
    hover.attach();
    hover.redraw();
  };

  const size = observeWidth(frame, draw);
  return {
    element: frame.element,
    update({ rows, granularity = 'day' }) {
      data = { rows: Array.isArray(rows) ? rows : [], granularity };
      fillTable(frame.table, {
        title: `${title} (${x === 'fraction' ? 'share of the video' : 'UTC'})`,
        xTitle: x === 'fraction' ? 'Position in the video' : (granularity === 'hour' ? 'Hour (UTC)' : 'Day (UTC)'),
        rows: data.rows,
        series,
        xLabel: (i) => (x === 'fraction' ? formatPercent(xValue(i)) : bucketLabel(xValue(i), granularity)),
      });
      const width = size.width();
      if (width > 0) draw(width);
    },
  };
}

// ---------- bar chart ----------

export function barChart({ title, series, emptyText, testid }) {
  const frame = createFrame({ title, series, emptyText, testid, type: 'bar' });
  let data = { rows: [], granularity: 'day' };
  let geometry = null;
  let band = null;

  const tValue = (i) => Number(data.rows[i]?.t) || 0;
  const values = (s) => data.rows.map((row) => Number(row[s.key]) || 0);
  // Drawn value: series going down draw their (positive) numbers below zero.
  const drawn = (s) => values(s).map((v) => (s.direction === 'down' ? -v : v));
  const isEmpty = () => data.rows.length === 0 || series.every((s) => values(s).every((v) => v === 0));

  const tooltipLines = (index) => ({
    title: bucketLabel(tValue(index), data.granularity),
    values: series.map((s, i) => ({ label: s.label, color: s.color ?? i + 1, value: fullValue(s.kind, values(s)[index]) })),
  });

  const hover = interact(frame, {
    count: () => data.rows.length,
    indexAt: (event) => {
      if (!geometry) return null;
      const box = frame.plot.getBoundingClientRect();
      const px = event.clientX - box.left;
      return Math.max(0, Math.min(data.rows.length - 1, Math.floor((px - geometry.left) / geometry.bandWidth)));
    },
    setActive: (index) => {
      if (!geometry || !band) return;
      if (index === null) {
        band.setAttribute('visibility', 'hidden');
        placeTooltip(frame, { lines: null });
        return;
      }
      const x = geometry.left + index * geometry.bandWidth;
      band.setAttribute('x', round(x));
      band.setAttribute('visibility', 'visible');
      placeTooltip(frame, {
        x: x + geometry.bandWidth / 2, y: geometry.top, width: geometry.width, lines: tooltipLines(index),
      });
    },
    describe: (index) => {
      const lines = tooltipLines(index);
      return `${lines.title}: ${lines.values.map((v) => `${v.label} ${v.value}`).join(', ')}`;
    },
  });

  const draw = (width) => {
    frame.plot.querySelector('svg')?.remove();
    geometry = null;
    band = null;
    if (isEmpty()) {
      frame.empty.hidden = false;
      frame.empty.style.minHeight = `${heightFor(width)}px`;  // the chart's own height: nothing jumps
      frame.element.dataset.state = 'empty';
      frame.plot.removeAttribute('tabindex');
      frame.plot.removeAttribute('role');
      frame.plot.removeAttribute('aria-label');
      frame.tooltip.hidden = true;
      hover.detach();
      return;
    }
    frame.empty.hidden = true;
    frame.element.dataset.state = 'ready';
    const height = heightFor(width);
    const top = 14;
    const bottom = height - 30;
    const n = data.rows.length;
    const kind = series[0].kind ?? 'count';
    const all = series.flatMap(drawn);
    const intervals = Math.max(2, Math.min(5, Math.floor((bottom - top) / 44)));
    const axis = niceAxis(kind, Math.min(0, ...all), Math.max(0, ...all), intervals);
    const left = Math.ceil(Math.max(...axis.ticks.map((v) => textWidth(axisLabel(kind, v)))) + 12);
    const right = width - 14;
    const bandWidth = (right - left) / n;
    const y = (value) => bottom - ((value - axis.lo) / (axis.hi - axis.lo)) * (bottom - top);
    geometry = { left, right, top, bottom, width, bandWidth };

    const up = series.filter((s) => s.direction !== 'down');
    const down = series.filter((s) => s.direction === 'down');
    const slots = Math.max(up.length, down.length, 1);
    const inner = bandWidth * (bandWidth >= 10 ? 0.7 : bandWidth >= 4 ? 0.8 : 1);
    const slotWidth = inner / slots;
    const bars = series.map((s, i) => {
      const slot = (s.direction === 'down' ? down : up).indexOf(s);
      const rects = drawn(s).map((v, j) => {
        if (v === 0) return null;
        const x0 = left + j * bandWidth + (bandWidth - inner) / 2 + slot * slotWidth;
        const y0 = y(0);
        let y1 = y(v);
        // A small number still shows as a sliver.
        if (Math.abs(y1 - y0) < 2) y1 = y0 + (v > 0 ? -2 : 2);
        return svg('rect', {
          class: 'chart__bar', x: round(x0), width: Math.max(1, round(slotWidth - (slotWidth > 4 ? 1 : 0))),
          y: round(Math.min(y0, y1)), height: round(Math.abs(y1 - y0)),
        });
      });
      return svg('g', { class: `chart__bars chart__bars--${s.color ?? i + 1}`, 'data-series': s.key }, rects);
    });
    const grid = axis.ticks.map((value) => svg('line', {
      class: value === 0 ? 'chart__zero' : 'chart__grid', x1: left, x2: right, y1: round(y(value)), y2: round(y(value)),
    }));
    const maxTicks = Math.max(2, Math.floor((right - left) / 72) + 1);
    const xTicks = timeTicks(data.rows.map((_, i) => tValue(i)), data.granularity, maxTicks);
    band = svg('rect', {
      class: 'chart__band', x: left, y: top, width: round(bandWidth), height: bottom - top, visibility: 'hidden',
    });
    const chart = svg('svg', {
      class: 'chart__svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': summarize({ title, type: 'bar', rows: data.rows, series, xValue: tValue, xKind: 'time', granularity: data.granularity }),
      'data-points': n,
    },
    band,
    grid.filter((line) => line.getAttribute('class') !== 'chart__zero'),
    yAxisNodes({ axis, kind, x: left - 8, anchor: 'end', y }),
    xAxisNodes({ ticks: xTicks, xOf: (i) => left + (i + 0.5) * bandWidth, bottom, width }),
    bars,
    grid.filter((line) => line.getAttribute('class') === 'chart__zero'));
    frame.plot.prepend(chart);
    frame.plot.tabIndex = 0;
    frame.plot.setAttribute('role', 'group');
    frame.plot.setAttribute('aria-label', `${title}: the arrow keys step through the values`);
    hover.attach();
    hover.redraw();
  };

  const size = observeWidth(frame, draw);
  return {
    element: frame.element,
    update({ rows, granularity = 'day' }) {
      data = { rows: Array.isArray(rows) ? rows : [], granularity };
      fillTable(frame.table, {
        title: `${title} (UTC)`,
        xTitle: granularity === 'hour' ? 'Hour (UTC)' : 'Day (UTC)',
        rows: data.rows,
        series,
        xLabel: (i) => bucketLabel(tValue(i), granularity),
      });
      const width = size.width();
      if (width > 0) draw(width);
    },
  };
}
