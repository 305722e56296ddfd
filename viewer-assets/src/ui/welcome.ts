/** First visit: offer the server's `default` settings in one click instead of an empty form. */
import { CONFIG_BY_NAME, ConfigRow } from '../api/operations';
import { defaultDashboard } from '../model/dashboard';
import { applyServerConfig, TARGETS } from '../model/serverConfig';
import type { AppContext, Screen } from './context';
import { append, clear, h } from './dom';
import { errorText } from './text';

export function welcomeScreen(ctx: AppContext, root: HTMLElement): Screen {
  const body = h('div', { class: 'welcome-actions' });
  append(root, h('section', { class: 'card welcome' }, h('h1', {}, ctx.t('welcome.title')), h('p', {}, ctx.t('welcome.text')), body));
  let alive = true;

  const emptyButton = () =>
    h('button', { type: 'button', class: 'secondary', onclick: () => ctx.navigate({ view: 'settings', isNew: true }) }, ctx.t('welcome.empty'));

  const load = async () => {
    clear(body);
    append(body, h('p', { role: 'status' }, ctx.t('welcome.loading')));
    try {
      const data = await ctx.client.request<{ viewer_config: ConfigRow[] }>(CONFIG_BY_NAME, { name: 'default' });
      if (!alive) return;
      clear(body);
      const row = data.viewer_config[0];
      if (!row) {
        append(body, h('p', {}, ctx.t('welcome.noDefault')), emptyButton());
        return;
      }
      const dashboard = { ...applyServerConfig(defaultDashboard('default'), row.config, [...TARGETS]), name: 'default' };
      append(
        body,
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            onclick: () => {
              ctx.store.dashboards.push(dashboard);
              ctx.store.last = dashboard.name;
              ctx.saveStore();
              ctx.navigate({ view: 'live', dashboard: dashboard.name });
            },
          },
          ctx.t('welcome.useDefault'),
        ),
        h('p', { class: 'help' }, ctx.t('welcome.defaultDetail', { name: dashboard.perftool.publishers.join(', ') })),
        emptyButton(),
      );
    } catch (e) {
      if (!alive) return;
      clear(body);
      append(body, h('p', { class: 'error', role: 'alert' }, ctx.t('state.error', { message: errorText(ctx, e) })), h('button', { type: 'button', onclick: () => void load() }, ctx.t('state.retry')), emptyButton());
    }
  };
  void load();
  return { destroy: () => (alive = false) };
}
