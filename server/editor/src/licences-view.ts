// The console's "Licences" view, for admin editors: per key, viewers now, the peak, deliveries
// and refused origins, and a small chart of viewers over the last day. Built with DOM APIs only:
// key names, origins and referring pages are untrusted text (a forged Origin is anyone's).
import type { KeyUsage, UsageReport } from '@headline-ticker/sdk/protocol';
import { el, stamp } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART_W = 168;
const CHART_H = 36;
const REFUSED_SHOWN = 5;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

const count = (n: number) => n.toLocaleString('en');

/** Hourly peaks over the last 24 hours as bars; described in words for screen readers. */
export function viewersChart(lastDay: KeyUsage['lastDay']): SVGSVGElement {
  const max = Math.max(1, ...lastDay.map((h) => h.peakViewers));
  const top = lastDay.reduce((a, h) => (h.peakViewers > a.peakViewers ? h : a), lastDay[0] ?? { hour: '', peakViewers: 0 });
  const label =
    top.peakViewers === 0
      ? 'Viewers over the last 24 hours: none'
      : `Viewers over the last 24 hours: highest ${count(top.peakViewers)} in the hour from ${top.hour.slice(11, 13)}:00 UTC`;
  const chart = svg('svg', {
    width: CHART_W,
    height: CHART_H,
    viewBox: `0 0 ${CHART_W} ${CHART_H}`,
    role: 'img',
    'aria-label': label,
    class: 'viewers-chart',
  });
  const title = svg('title', {});
  title.textContent = label;
  chart.append(title, svg('line', { x1: 0, y1: CHART_H - 0.5, x2: CHART_W, y2: CHART_H - 0.5, class: 'axis' }));
  const step = CHART_W / Math.max(1, lastDay.length);
  lastDay.forEach((h, i) => {
    const height = h.peakViewers === 0 ? 0 : Math.max(1, (h.peakViewers / max) * (CHART_H - 2));
    const bar = svg('rect', {
      x: (i * step + 0.5).toFixed(1),
      y: (CHART_H - 1 - height).toFixed(1),
      width: (step - 1).toFixed(1),
      height: height.toFixed(1),
      class: 'bar',
    });
    bar.dataset['hour'] = h.hour;
    bar.dataset['viewers'] = String(h.peakViewers);
    chart.append(bar);
  });
  return chart;
}

function refusedCell(k: KeyUsage): HTMLTableCellElement {
  const td = el('td', { className: 'refused' });
  if (k.refused.total === 0) {
    td.textContent = '—';
    return td;
  }
  td.append(el('span', { className: 'refused-total', text: `${count(k.refused.total)} refused` }));
  const ul = el('ul');
  for (const o of k.refused.origins.slice(0, REFUSED_SHOWN)) {
    const li = el('li');
    li.append(el('span', { className: 'origin', text: o.origin }), ` ${count(o.count)}×`);
    if (o.referer !== null) li.append(el('span', { className: 'referer hint', text: ` from ${o.referer}` }));
    ul.append(li);
  }
  const more = k.refused.origins.length - REFUSED_SHOWN;
  if (more > 0) ul.append(el('li', { className: 'hint', text: `and ${more} more origins` }));
  td.append(ul);
  return td;
}

function figureCells(f: {
  viewersNow: number;
  peakViewers: number;
  deliveries: number;
  connects: number;
  lastSeen: string | null;
}): HTMLTableCellElement[] {
  return [
    el('td', { className: 'num now', text: count(f.viewersNow) }),
    el('td', { className: 'num peak', text: count(f.peakViewers) }),
    el('td', { className: 'num deliveries', text: count(f.deliveries) }),
    el('td', { className: 'num connects', text: count(f.connects) }),
    el('td', { className: 'seen', text: f.lastSeen === null ? 'never' : stamp(new Date(f.lastSeen)) }),
  ];
}

const HEADINGS = [
  'Key',
  'Viewers now',
  'Peak today',
  'Deliveries today',
  'Connects today',
  'Last seen',
  'Viewers, last 24 h',
  'Refused origins today',
];

/** Renders a usage report into `container` as one table, replacing what was there. */
export function renderLicences(container: HTMLElement, report: UsageReport): void {
  const table = el('table', { className: 'licences' });
  table.append(
    el('caption', {
      className: 'hint',
      text: `Figures for ${report.from === report.to ? report.from : `${report.from} to ${report.to}`} (UTC), across all gateways`,
    }),
  );
  const headRow = el('tr');
  for (const h of HEADINGS) headRow.append(el('th', { text: h, attrs: { scope: 'col' } }));
  table.append(el('thead'));
  table.tHead!.append(headRow);
  const body = el('tbody');
  for (const k of report.keys) {
    const tr = el('tr', { className: `key ${k.kind}` });
    tr.dataset['ref'] = k.ref;
    const name = el('th', { attrs: { scope: 'row' } });
    name.append(
      el('span', { className: 'name', text: k.name }),
      el('span', { className: 'hint', text: ` ${k.kind === 'widget' ? 'widget' : 'API'} · ${k.ref}` }),
    );
    const chartCell = el('td', { className: 'chart' });
    chartCell.append(viewersChart(k.lastDay));
    tr.append(name, ...figureCells(k), chartCell, refusedCell(k));
    body.append(tr);
    for (const o of k.origins) {
      const row = el('tr', { className: 'origin-row' });
      row.dataset['origin'] = o.origin;
      row.append(el('th', { className: 'origin', text: `on ${o.origin}`, attrs: { scope: 'row' } }), ...figureCells(o), el('td'), el('td'));
      body.append(row);
    }
  }
  table.append(body);
  const unknown = el('p', {
    className: 'hint unknown-keys',
    text:
      `Attempts with a missing or unknown key: ${count(report.unknownKeys.attempts)}` +
      (report.unknownKeys.recentAddresses.length === 0
        ? ''
        : `; in the last two minutes from ${report.unknownKeys.recentAddresses.map((a) => `${a.address} (${count(a.count)})`).join(', ')}`),
  });
  container.replaceChildren(table, unknown);
}

/** Shows the view while signed in as an admin, refreshing it every `everyMs`. */
export class LicencesView {
  readonly #section: HTMLElement;
  readonly #body: HTMLElement;
  readonly #status: HTMLElement;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** bumped by stop(), so an answer arriving after it is dropped */
  #generation = 0;

  constructor(section: HTMLElement, body: HTMLElement, status: HTMLElement) {
    this.#section = section;
    this.#body = body;
    this.#status = status;
  }

  /** `load` answers the report, or null when this editor may not see usage (403). */
  start(load: () => Promise<UsageReport | null>, everyMs = 30_000): void {
    this.stop();
    const generation = this.#generation;
    const refresh = async () => {
      let report: UsageReport | null;
      try {
        report = await load();
      } catch {
        if (generation === this.#generation) this.#status.textContent = 'Usage could not be loaded; retrying.';
        return;
      }
      if (generation !== this.#generation) return;
      if (report === null) return this.stop();
      this.#section.hidden = false;
      renderLicences(this.#body, report);
      this.#status.textContent = `Updated ${stamp(new Date(report.generatedAt))}`;
    };
    void refresh();
    this.#timer = setInterval(() => void refresh(), everyMs);
  }

  stop(): void {
    this.#generation += 1;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#section.hidden = true;
    this.#body.replaceChildren();
    this.#status.textContent = '';
  }
}
