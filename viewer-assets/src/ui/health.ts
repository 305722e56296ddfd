/** The publisher health panel of live mode: one compact entry per publisher of the dashboard. */
import { HealthData, PUBLISHER_HEALTH } from '../api/operations';
import { publisherColors } from '../model/colors';
import type { Dashboard } from '../model/dashboard';
import { summariseHealth } from '../model/health';
import type { MessageKey } from '../model/i18n';
import type { AppContext } from './context';
import { append, clear, formatTime, h } from './dom';
import { agoText, errorText, intervalText, spanText } from './text';

export interface HealthPanel {
  el: HTMLElement;
  refresh(): Promise<void>;
}

export function createHealthPanel(ctx: AppContext, d: Dashboard): HealthPanel {
  const list = h('ul', { class: 'health-list' });
  const note = h('p', { class: 'help health-note' });
  const el = h('section', { class: 'health', 'aria-label': ctx.t('health.title'), 'data-testid': 'health' }, h('h2', {}, ctx.t('health.title')), list, note);
  const publishers = d.perftool.publishers;

  const render = (data: HealthData) => {
    const { publishers: entries, unattributed } = summariseHealth(publishers, data);
    clear(list);
    for (const e of entries) {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.borderColor = publisherColors(e.publisher).reader;
      swatch.style.background = publisherColors(e.publisher).reader;
      const r = e.row;
      const facts: Array<string | null> = [];
      if (r?.last_seen && r.silent_seconds != null) {
        facts.push(ctx.t('health.last', { time: formatTime(Date.parse(r.last_seen), d.chart.timeZone, false), ago: agoText(ctx, r.silent_seconds) }));
      }
      if (e.state === 'quiet' && r?.silent_seconds != null && r.usual_interval_seconds != null) {
        facts.push(ctx.t('health.quietFor', { ago: spanText(ctx, r.silent_seconds), interval: intervalText(ctx, r.usual_interval_seconds) }));
      } else if (r?.usual_interval_seconds) facts.push(ctx.t('health.usual', { interval: intervalText(ctx, r.usual_interval_seconds) }));
      facts.push(ctx.t('health.lastHour', { count: Number(r?.results_last_hour ?? 0) }));
      facts.push(ctx.t('health.rejected', { count: e.rejected24h }));
      append(
        list,
        h(
          'li',
          { 'data-publisher': e.publisher, 'data-state': e.state, 'data-rejected': e.rejected24h },
          h('span', { class: 'who' }, swatch, h('bdi', { class: 'name' }, e.publisher)),
          h('span', { class: `badge ${e.state}` }, ctx.t(`health.${e.state}` as MessageKey)),
          ...facts.map((f) => h('span', { class: 'fact' }, f)),
        ),
      );
    }
    note.textContent = unattributed ? ctx.t('health.unattributed', { count: unattributed }) : '';
  };

  return {
    el,
    async refresh() {
      if (!publishers.length) return;
      try {
        render(await ctx.client.request<HealthData>(PUBLISHER_HEALTH, { publishers }));
        el.dataset.state = 'ready';
      } catch (e) {
        clear(list);
        note.textContent = ctx.t('health.error', { message: errorText(ctx, e) });
        el.dataset.state = 'error';
      }
    },
  };
}
