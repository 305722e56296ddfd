/**
 * The toolbar's export buttons. "Export CSV" saves exactly what the charts show; "Export raw results" pages through
 * every stored result of the publishers in the visible range (Hasura's row limit per request, so nothing is cut) and
 * builds the file from one Blob per page, which keeps the tab's memory flat for large ranges.
 */
import { RAW_FIELDS, RESULT_ROW_LIMIT } from '../api/operations';
import { readAllRaw } from '../api/rawResults';
import { rawHeader, rawLines, viewCsv } from '../model/csv';
import type { Dashboard } from '../model/dashboard';
import type { ResultRow } from '../model/series';
import { formatDate, formatClock } from '../model/time';
import type { AppContext } from './context';
import { h } from './dom';
import { errorText } from './text';

export interface OnScreen {
  /** The rows the charts were built from (stored rows of the source in use). */
  rows: readonly ResultRow[];
  bucketSeconds: number;
  range: [number, number];
  /** Publishers whose read hit the row limit: their oldest rows are not on screen, so not in the file either. */
  truncated: readonly string[];
}

function save(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: file, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function fileName(d: Dashboard, kind: string, [from, to]: [number, number]): string {
  const stamp = (s: number) => `${formatDate(s * 1000, d.chart.timeZone)}T${formatClock(s * 1000, d.chart.timeZone).replace(':', '')}`;
  const safe = (d.name || 'dashboard').replace(/[^\p{L}\p{N}_-]+/gu, '_');
  return `perftool_${safe}_${kind}_${stamp(from)}_${stamp(to)}.csv`;
}

export function exportControls(ctx: AppContext, d: Dashboard, onScreen: () => OnScreen | null): HTMLElement {
  const status = h('span', { class: 'export-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'export-status' });
  let running: { cancelled: boolean } | null = null;
  const viewButton = h('button', { type: 'button', class: 'secondary', title: ctx.t('export.viewHelp') }, ctx.t('export.view'));
  const rawButton = h('button', { type: 'button', class: 'secondary', title: ctx.t('export.rawHelp') }, ctx.t('export.raw'));
  const stopButton = h('button', { type: 'button', class: 'secondary', hidden: true }, ctx.t('export.cancel'));

  viewButton.addEventListener('click', () => {
    const s = onScreen();
    if (!s) return;
    const csv = viewCsv(s.rows, { publishers: d.perftool.publishers, metrics: d.perftool.metrics, zone: d.chart.timeZone, bucketSeconds: s.bucketSeconds, fromSec: s.range[0], toSec: s.range[1] });
    const file = fileName(d, s.bucketSeconds ? `${s.bucketSeconds}s` : 'raw', s.range);
    save(new Blob([csv.text], { type: 'text/csv;charset=utf-8' }), file);
    status.textContent = ctx.t('export.done', { rows: csv.rows, file }) + (s.truncated.length ? ` ${ctx.t('export.truncated', { count: RESULT_ROW_LIMIT, publishers: s.truncated.join(', ') })}` : '');
  });

  rawButton.addEventListener('click', async () => {
    const s = onScreen();
    if (!s || running) return;
    const job = { cancelled: false };
    running = job;
    rawButton.disabled = true;
    stopButton.hidden = false;
    const columns = [...RAW_FIELDS];
    const parts: Blob[] = [new Blob([rawHeader(columns)])];
    let count = 0;
    status.textContent = ctx.t('export.progress', { rows: 0 });
    try {
      for (const publisher of d.perftool.publishers) {
        await readAllRaw(
          ctx.client,
          publisher,
          s.range[0] * 1000,
          s.range[1] * 1000,
          (rows) => {
            parts.push(new Blob([rawLines(rows, columns, d.chart.timeZone)]));
            count += rows.length;
            status.textContent = ctx.t('export.progress', { rows: count });
          },
          () => job.cancelled,
        );
        if (job.cancelled) break;
      }
      if (job.cancelled) status.textContent = ctx.t('export.cancelled');
      else {
        const file = fileName(d, 'raw-results', s.range);
        save(new Blob(parts, { type: 'text/csv;charset=utf-8' }), file);
        status.textContent = ctx.t('export.done', { rows: count, file });
      }
    } catch (e) {
      status.textContent = ctx.t('export.failed', { message: errorText(ctx, e) });
    } finally {
      running = null;
      rawButton.disabled = false;
      stopButton.hidden = true;
    }
  });
  stopButton.addEventListener('click', () => {
    if (running) running.cancelled = true;
  });
  return h('span', { class: 'export' }, viewButton, rawButton, stopButton, status);
}
