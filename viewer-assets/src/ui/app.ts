/** The app shell: header (dashboards, modes, language), URL routing, storage and the GraphQL client. */
import { createClient } from '../api/client';
import { PUBLISHERS, PublisherStats } from '../api/operations';
import { Dashboard, defaultDashboard, loadStore, saveStore, Store } from '../model/dashboard';
import { chooseLang, Lang, LANGS, MessageKey, translate } from '../model/i18n';
import { formatUrlState, parseUrlState, UrlState, View } from '../model/urlState';
import type { AppContext, Screen } from './context';
import { append, clear, h, toast, uniqueId } from './dom';
import { liveScreen } from './live';
import { playScreen } from './play';
import { compareScreen } from './compare';
import { downloadScreen, uploadScreen } from './serverSettings';
import { settingsScreen } from './settings';
import { welcomeScreen } from './welcome';

const LANG_KEY = 'perftool-viewer.lang';
const PUBLISHER_CACHE_MS = 30_000;

export function startApp(root: HTMLElement): void {
  const loaded = loadStore(localStorage);
  const store: Store = loaded.store;
  if (loaded.migrated) saveStore(localStorage, store);
  let lang: Lang = chooseLang(navigator.languages ?? [navigator.language], localStorage.getItem(LANG_KEY));
  const client = createClient('/v1/graphql', (input, init) => fetch(input, init));
  let publisherCache: { at: number; value: Promise<PublisherStats[]> } | null = null;
  let staged: Dashboard | null = null;
  let screen: Screen | null = null;

  const header = h('header', { class: 'app-header' });
  const main = h('main', { id: 'main' });
  append(root, header, main);

  const ctx: AppContext = {
    lang,
    t: (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params),
    client,
    store,
    saveStore: () => saveStore(localStorage, store),
    url: parseUrlState(location.search),
    navigate(state, options = {}) {
      const target = '/' + formatUrlState(state);
      if (options.replace) history.replaceState(null, '', target);
      else history.pushState(null, '', target);
      if (options.rerender === false) ctx.url = state;
      else render();
    },
    dashboard: null,
    dashboardSaved: false,
    publishers(force = false) {
      if (force || !publisherCache || Date.now() - publisherCache.at > PUBLISHER_CACHE_MS) {
        const value = client.request<{ perftool_publishers: PublisherStats[] }>(PUBLISHERS).then((d) => d.perftool_publishers);
        value.catch(() => (publisherCache = null));
        publisherCache = { at: Date.now(), value };
      }
      return publisherCache.value;
    },
    get staged() {
      return staged;
    },
    setStaged: (d) => (staged = d),
  };

  /** Which dashboard the URL means: by name, else the last used, else the first; a link to an unknown name is shown from the link. */
  const resolveDashboard = (url: UrlState): { dashboard: Dashboard | null; saved: boolean } => {
    const byName = (n?: string) => (n ? store.dashboards.find((d) => d.name === n) : undefined);
    const found = byName(url.dashboard) ?? (url.dashboard ? undefined : byName(store.last) ?? store.dashboards[0]);
    const viewing = url.view === 'live' || url.view === 'play' || url.view === 'compare';
    if (found) {
      let linked = url.publishers && viewing ? { ...found, perftool: { ...found.perftool, publishers: url.publishers } } : found;
      if (url.zone && viewing && url.zone !== found.chart.timeZone) linked = { ...linked, chart: { ...linked.chart, timeZone: url.zone } };
      return { dashboard: linked, saved: true };
    }
    if (url.publishers?.length) {
      const d = defaultDashboard(url.dashboard ?? '');
      d.perftool.publishers = url.publishers;
      d.perftool.name = url.publishers[0];
      if (url.zone) d.chart.timeZone = url.zone;
      return { dashboard: d, saved: false };
    }
    return { dashboard: null, saved: false };
  };

  function renderHeader() {
    clear(header);
    const current = ctx.dashboard;
    const selectId = uniqueId('dash');
    const dashSelect = h(
      'select',
      {
        id: selectId,
        onchange: (e: Event) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v === '\u0000new') ctx.navigate({ view: 'settings', isNew: true });
          else ctx.navigate({ view: ctx.url.view === 'play' ? 'play' : 'live', dashboard: v });
        },
      },
      ...store.dashboards.map((d) => h('option', { value: d.name, selected: d.name === current?.name && ctx.dashboardSaved }, d.name)),
      !ctx.dashboardSaved && current ? h('option', { value: current.name, selected: true, disabled: true }, current.name || '—') : null,
      h('option', { value: '\u0000new', selected: ctx.url.view === 'settings' && !!ctx.url.isNew }, `+ ${ctx.t('nav.new')}`),
    );
    const navLink = (view: View, label: MessageKey) =>
      h(
        'a',
        {
          href: formatUrlState({ view, dashboard: current?.name }) || '?',
          class: 'nav-link',
          'aria-current': ctx.url.view === view ? 'page' : undefined,
          onclick: (e: Event) => {
            e.preventDefault();
            ctx.navigate({ view, dashboard: ctx.dashboardSaved ? current?.name : undefined, publishers: ctx.dashboardSaved ? undefined : ctx.url.publishers });
          },
        },
        ctx.t(label),
      );
    const langId = uniqueId('lang');
    append(
      header,
      h('span', { class: 'brand' }, ctx.t('app.title')),
      store.dashboards.length || current ? h('span', { class: 'dash-picker' }, h('label', { for: selectId, class: 'visually-hidden' }, ctx.t('nav.dashboard')), dashSelect) : null,
      current ? h('nav', { 'aria-label': 'mode' }, navLink('live', 'nav.live'), navLink('play', 'nav.play'), navLink('compare', 'nav.compare'), navLink('settings', 'nav.settings')) : null,
      h('span', { class: 'spacer' }),
      h('label', { for: langId, class: 'visually-hidden' }, ctx.t('nav.language')),
      h(
        'select',
        {
          id: langId,
          class: 'lang',
          onchange: (e: Event) => {
            lang = (e.target as HTMLSelectElement).value as Lang;
            ctx.lang = lang;
            localStorage.setItem(LANG_KEY, lang);
            render();
          },
        },
        ...LANGS.map((l) => h('option', { value: l, selected: l === lang }, l === 'en' ? 'English' : '日本語')),
      ),
    );
  }

  function render() {
    screen?.destroy();
    screen = null;
    clear(main);
    document.documentElement.lang = lang;
    document.title = ctx.t('app.title');
    ctx.url = parseUrlState(location.search);
    const { dashboard, saved } = resolveDashboard(ctx.url);
    ctx.dashboard = dashboard;
    ctx.dashboardSaved = saved;
    let view = ctx.url.view;
    // Without any dashboard the live and playback screens have nothing to show: offer the server default.
    if ((view === 'live' || view === 'play' || view === 'compare' || view === 'upload') && !dashboard) view = 'welcome';
    if (view === 'welcome' && store.dashboards.length && dashboard) view = 'live';
    if (saved && dashboard && (view === 'live' || view === 'play' || view === 'compare')) {
      store.last = dashboard.name;
      ctx.saveStore();
    }
    renderHeader();
    const screens: Record<View, (c: AppContext, r: HTMLElement) => Screen> = {
      welcome: welcomeScreen,
      live: liveScreen,
      play: playScreen,
      compare: compareScreen,
      settings: settingsScreen,
      download: downloadScreen,
      upload: uploadScreen,
    };
    main.dataset.view = view;
    screen = screens[view](ctx, main);
  }

  // Bookmarks of the original viewer (/viewer/0, /player/1, /setting/2) open the same dashboard here.
  const legacy = /^\/(viewer|player|setting)\/(\d+)\/?$/.exec(location.pathname);
  if (legacy) {
    const views: Record<string, View> = { viewer: 'live', player: 'play', setting: 'settings' };
    const d = store.dashboards[Number(legacy[2])];
    history.replaceState(null, '', '/' + formatUrlState({ view: views[legacy[1]], dashboard: d?.name }));
  }

  window.addEventListener('popstate', render);
  // Another tab changed the dashboards: reload them (the original synced tabs the same way).
  window.addEventListener('storage', (e) => {
    if (e.key !== 'perftool-viewer') return;
    const fresh = loadStore(localStorage).store;
    store.dashboards = fresh.dashboards;
    store.last = fresh.last;
    if (main.dataset.view !== 'settings') render();
  });
  if (loaded.problems.length) toast(translate(lang, 'settings.problems', { detail: loaded.problems.join('; ') }), 'error');
  render();
}
