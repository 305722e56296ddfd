/** Dashboard settings form: validation messages next to each field, Save / Reset / Cancel / Delete (confirmed). */
import { defaultDashboard, Dashboard, FieldError, formatLocalMinute, LAYOUTS, METRICS, MetricKey, PLAYBACK_RATES, REFRESHES, RefreshKey, validateDashboard, WINDOWS, WindowKey, parseLocalTime } from '../model/dashboard';
import { durationText, isMessageKey, MessageKey } from '../model/i18n';
import { formatDateTime, offsetLabel, parseDateTime } from '../model/time';
import type { AppContext, Screen } from './context';
import { append, clear, confirmDialog, h, uniqueId } from './dom';
import { zoneSelect } from './text';

export function settingsScreen(ctx: AppContext, root: HTMLElement): Screen {
  const isNew = !!ctx.url.isNew || !ctx.dashboardSaved;
  const saved = isNew ? null : ctx.dashboard;
  const initial: Dashboard = structuredClone(ctx.staged ?? saved ?? defaultDashboard(''));
  const fromStaging = !!ctx.staged;
  ctx.setStaged(null);
  let draft: Dashboard = structuredClone(initial);
  const otherNames = ctx.store.dashboards.filter((d) => d !== saved).map((d) => d.name);
  const errorSlots = new Map<string, HTMLElement>();
  const fieldLabels = new Map<string, { label: string; control: HTMLElement }>();
  /** Fields the user changed or left: only their errors show, so a new form does not open with "Required.". */
  const touched = new Set<string>();
  let showAllErrors = false;
  let alive = true;

  const errorSlot = (path: string, id: string) => {
    const el = h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    errorSlots.set(path, el);
    return el;
  };

  const field = (path: string, label: string, control: HTMLElement, help?: string) => {
    const id = control.id || uniqueId('f');
    control.id = id;
    control.setAttribute('aria-describedby', `${id}-error${help ? ` ${id}-help` : ''}`);
    fieldLabels.set(path, { label, control });
    control.addEventListener('blur', () => {
      touched.add(path);
      update();
    });
    return h('div', { class: 'field', 'data-field': path }, h('label', { for: id }, label), control, help ? h('p', { class: 'help', id: `${id}-help` }, help) : null, errorSlot(path, id));
  };

  const input = (type: string, value: string | number, onInput: (v: string) => void, extra: Record<string, string | number> = {}) =>
    h('input', { type, value: String(value), ...extra, oninput: (e: Event) => (onInput((e.target as HTMLInputElement).value), markTouched(e.target as HTMLElement), update()) });
  const markTouched = (control: HTMLElement) => {
    for (const [path, f] of fieldLabels) if (f.control === control) touched.add(path);
  };

  const checkbox = (label: string, checked: boolean, onChange: (v: boolean) => void) => {
    const id = uniqueId('c');
    return h('div', { class: 'check' }, h('input', { type: 'checkbox', id, checked, onchange: (e: Event) => (onChange((e.target as HTMLInputElement).checked), update()) }), h('label', { for: id }, label));
  };

  const select = <T extends string>(options: readonly T[], value: T, label: (o: T) => string, onChange: (v: T) => void) =>
    h('select', { onchange: (e: Event) => (onChange((e.target as HTMLSelectElement).value as T), update()) }, ...options.map((o) => h('option', { value: o, selected: o === value }, label(o))));

  const num = (v: string) => (v.trim() === '' ? NaN : Number(v));
  /** Stored local `yyyy-MM-dd HH:mm` ↔ the form's text in the dashboard's zone (unreadable text is kept as typed). */
  const zoned = (text: string) => {
    const ms = parseLocalTime(text);
    return ms === null ? text : formatDateTime(ms, draft.chart.timeZone);
  };
  const stored = (text: string) => {
    const ms = parseDateTime(text, draft.chart.timeZone);
    return ms === null ? text : formatLocalMinute(ms);
  };
  const sectionLabel = (path: string) => (path === 'perftool.publishers' ? ctx.t('settings.publishers') : path === 'perftool.metrics' ? ctx.t('settings.metrics') : path);

  // --- publishers: known ones as checkboxes, plus free text ------------------------------------------------------
  const publisherList = h('div', { class: 'publisher-list', role: 'group', 'aria-label': ctx.t('settings.knownPublishers') });
  let known: string[] = [];
  const renderPublishers = () => {
    clear(publisherList);
    const names = [...new Set([...known, ...draft.perftool.publishers])];
    for (const name of names) {
      append(
        publisherList,
        checkbox(name + (known.includes(name) ? '' : ` (${ctx.t('settings.noPublisherData')})`), draft.perftool.publishers.includes(name), (on) => {
          const list = draft.perftool.publishers.filter((p) => p !== name);
          draft.perftool.publishers = on ? [...list, name] : list;
          draft.perftool.name = draft.perftool.publishers[0] ?? '';
          touched.add('perftool.publishers');
        }),
      );
    }
  };
  const newPublisher = h('input', { type: 'text', id: uniqueId('pub'), list: 'known-publishers', autocomplete: 'off' });
  const knownList = h('datalist', { id: 'known-publishers' });
  const addPublisher = () => {
    const name = newPublisher.value.trim();
    if (name && !draft.perftool.publishers.includes(name)) {
      draft.perftool.publishers = [...draft.perftool.publishers, name];
      draft.perftool.name = draft.perftool.publishers[0];
    }
    newPublisher.value = '';
    touched.add('perftool.publishers');
    renderPublishers();
    update();
  };
  newPublisher.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addPublisher();
    }
  });
  ctx
    .publishers()
    .then((stats) => {
      if (!alive) return;
      known = stats.map((s) => s.publisher);
      clear(knownList);
      append(knownList, ...known.map((k) => h('option', { value: k })));
      renderPublishers();
    })
    .catch(() => undefined); // The form still works by typing names; the live view reports API errors.
  renderPublishers();

  // --- the form -------------------------------------------------------------------------------------------------
  const saveButton = h('button', { type: 'submit', class: 'primary' }, ctx.t('settings.save'));
  const resetButton = h('button', { type: 'button', class: 'secondary', onclick: () => rerender(structuredClone(initial)) }, ctx.t('settings.reset'));
  const uploadButton = h('button', { type: 'button', class: 'secondary', onclick: () => ctx.navigate({ view: 'upload', dashboard: saved?.name }) }, ctx.t('settings.upload'));
  const uploadHint = h('p', { class: 'help' });
  /** Why Save cannot save yet, in words, with a way to each field that needs attention. */
  const saveReason = h('p', { class: 'save-reason', 'data-testid': 'save-reason', 'aria-live': 'polite' });

  const form = h('form', { class: 'settings', novalidate: true, 'aria-label': ctx.t('settings.title') });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const errors = validateDashboard(draft, otherNames);
    if (errors.length) {
      showAllErrors = true;
      update();
      const first = fieldLabels.get(errors[0].path)?.control ?? (errors[0].path === 'perftool.publishers' ? newPublisher : null);
      first?.focus();
      return;
    }
    const clean: Dashboard = { ...draft, name: draft.name.trim(), perftool: { ...draft.perftool, name: draft.perftool.publishers[0] ?? '' } };
    if (saved) ctx.store.dashboards[ctx.store.dashboards.indexOf(saved)] = clean;
    else ctx.store.dashboards.push(clean);
    ctx.store.last = clean.name;
    ctx.saveStore();
    ctx.navigate({ view: 'live', dashboard: clean.name });
  });

  const build = () => {
    clear(form);
    errorSlots.clear();
    fieldLabels.clear();
    const d = draft;
    append(
      form,
      h(
        'div',
        { class: 'settings-head' },
        h('h1', {}, saved ? `${ctx.t('settings.title')}: ${saved.name}` : ctx.t('settings.titleNew')),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => ctx.navigate({ view: 'download', dashboard: saved?.name, isNew: !saved || undefined }) }, ctx.t('settings.download')), saved ? uploadButton : null),
      ),
      saved ? uploadHint : null,
      fromStaging ? h('p', { class: 'notice', role: 'status' }, ctx.t('settings.staged')) : null,
      field('name', ctx.t('settings.name'), input('text', d.name, (v) => (draft.name = v), { autocomplete: 'off', required: 'required' })),
      h(
        'fieldset',
        {},
        h('legend', {}, ctx.t('settings.perftool')),
        checkbox(ctx.t('settings.showCharts'), d.perftool.visible, (v) => (draft.perftool.visible = v)),
        h(
          'div',
          { class: 'field', 'data-field': 'perftool.publishers' },
          h('span', { class: 'label' }, ctx.t('settings.publishers')),
          h('p', { class: 'help' }, ctx.t('settings.publishersHelp')),
          publisherList,
          h('div', { class: 'inline' }, h('label', { for: newPublisher.id }, ctx.t('settings.publisherInput')), newPublisher, knownList, h('button', { type: 'button', class: 'secondary', onclick: addPublisher }, ctx.t('settings.addPublisher'))),
          errorSlot('perftool.publishers', newPublisher.id),
        ),
        h(
          'div',
          { class: 'field', 'data-field': 'perftool.metrics', role: 'group', 'aria-label': ctx.t('settings.metrics') },
          h('span', { class: 'label' }, ctx.t('settings.metrics')),
          ...METRICS.map((m) =>
            checkbox(ctx.t(`metric.${m}` as MessageKey), d.perftool.metrics.includes(m), (on) => {
              const set = new Set<MetricKey>(draft.perftool.metrics);
              if (on) set.add(m);
              else set.delete(m);
              draft.perftool.metrics = METRICS.filter((x) => set.has(x));
            }),
          ),
          errorSlot('perftool.metrics', uniqueId('metrics')),
        ),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, ctx.t('settings.live')),
        field('live.window', ctx.t('settings.window'), select(Object.keys(WINDOWS) as WindowKey[], d.live.window, (w) => durationText(ctx.lang, WINDOWS[w]), (v) => (draft.live.window = v))),
        field('live.refresh', ctx.t('settings.refresh'), select(Object.keys(REFRESHES) as RefreshKey[], d.live.refresh, (r) => (r === 'off' ? ctx.t('live.off') : durationText(ctx.lang, REFRESHES[r])), (v) => (draft.live.refresh = v))),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, ctx.t('settings.player')),
        // Text in the viewer's one format and the dashboard's zone; stored as the original's local `yyyy-MM-dd HH:mm`.
        field('player.from', ctx.t('settings.from'), input('text', zoned(d.player.from), (v) => (draft.player.from = stored(v)), { placeholder: 'YYYY-MM-DD HH:mm', autocomplete: 'off', inputmode: 'numeric' }), ctx.t('time.hint', { offset: offsetLabel(Date.now(), d.chart.timeZone) })),
        field('player.to', ctx.t('settings.to'), input('text', zoned(d.player.to), (v) => (draft.player.to = stored(v)), { placeholder: 'YYYY-MM-DD HH:mm', autocomplete: 'off', inputmode: 'numeric' })),
        field('player.rate', ctx.t('settings.rate'), input('number', d.player.rate, (v) => (draft.player.rate = num(v)), { min: 1, max: 86400, step: 1, list: 'rates' }), PLAYBACK_RATES.map((r) => `${r}×`).join(' · ')),
        h('datalist', { id: 'rates' }, ...PLAYBACK_RATES.map((r) => h('option', { value: r }))),
        checkbox(ctx.t('settings.repeat'), d.player.repeat, (v) => (draft.player.repeat = v)),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, ctx.t('settings.layout')),
        ...LAYOUTS.map((l) => {
          const id = uniqueId('layout');
          return h('div', { class: 'check' }, h('input', { type: 'radio', name: 'layout', id, value: l, checked: d.layout.template === l, onchange: () => ((draft.layout.template = l), update()) }), h('label', { for: id }, ctx.t(`settings.layout.${l}` as MessageKey)));
        }),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, ctx.t('settings.chart')),
        checkbox(ctx.t('settings.line'), d.chart.line.enabled, (v) => (draft.chart.line.enabled = v)),
        field('chart.line.size', ctx.t('settings.lineWidth'), input('number', d.chart.line.size, (v) => (draft.chart.line.size = num(v)), { min: 1, max: 10 })),
        checkbox(ctx.t('settings.points'), d.chart.point.enabled, (v) => (draft.chart.point.enabled = v)),
        field('chart.point.size', ctx.t('settings.pointSize'), input('number', d.chart.point.size, (v) => (draft.chart.point.size = num(v)), { min: 1, max: 10 })),
        field('chart.minSize.width', ctx.t('settings.minWidth'), input('number', d.chart.minSize.width, (v) => (draft.chart.minSize.width = num(v)), { min: 200, step: 10 })),
        field('chart.minSize.height', ctx.t('settings.minHeight'), input('number', d.chart.minSize.height, (v) => (draft.chart.minSize.height = num(v)), { min: 150, step: 10 })),
        field(
          'chart.timeZone',
          ctx.t('time.zone'),
          zoneSelect(ctx, uniqueId('zone'), d.chart.timeZone, (z) => {
            // The playback range keeps its instants; the form shows them in the new zone.
            rerender({ ...draft, chart: { ...draft.chart, timeZone: z } });
          }),
        ),
      ),
      h(
        'div',
        { class: 'actions sticky' },
        saveButton,
        resetButton,
        // With no dashboard yet, Cancel goes back to the welcome screen (the original left no way back).
        h('button', { type: 'button', class: 'secondary', onclick: () => ctx.navigate(saved ? { view: 'live', dashboard: saved.name } : ctx.store.dashboards.length ? { view: 'live' } : { view: 'welcome' }) }, ctx.t('settings.cancel')),
        saveReason,
        h('span', { class: 'spacer' }),
        saved
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  if (!(await confirmDialog(ctx.t('settings.deleteConfirm', { name: saved.name }), ctx.t('settings.delete'), ctx.t('dialog.cancel')))) return;
                  ctx.store.dashboards = ctx.store.dashboards.filter((x) => x !== saved);
                  ctx.store.last = ctx.store.dashboards[0]?.name;
                  ctx.saveStore();
                  ctx.navigate(ctx.store.dashboards.length ? { view: 'live', dashboard: ctx.store.dashboards[0].name } : { view: 'welcome' });
                },
              },
              ctx.t('settings.delete'),
            )
          : null,
      ),
    );
    renderPublishers();
    update();
  };

  const rerender = (d: Dashboard) => {
    draft = d;
    build();
  };

  function update() {
    const errors = validateDashboard(draft, otherNames);
    const byPath = new Map<string, FieldError>();
    for (const e of errors) if (!byPath.has(e.path)) byPath.set(e.path, e);
    for (const [path, slot] of errorSlots) {
      const err = showAllErrors || touched.has(path) ? byPath.get(path) : undefined;
      slot.textContent = err && isMessageKey(err.key) ? ctx.t(err.key, err.params) : '';
      slot.closest('.field')?.classList.toggle('invalid', !!err);
    }
    const dirty = JSON.stringify(draft) !== JSON.stringify(initial);
    const nothingToSave = !dirty && !isNew && !fromStaging;
    saveButton.disabled = nothingToSave;
    clear(saveReason);
    if (nothingToSave) append(saveReason, ctx.t('settings.noChanges'));
    else if (errors.length) {
      const paths = [...byPath.keys()];
      const [before] = ctx.t('settings.cannotSave', { fields: '\u0000' }).split('\u0000');
      append(saveReason, before);
      paths.forEach((path, i) => {
        const label = fieldLabels.get(path)?.label ?? sectionLabel(path);
        const target = fieldLabels.get(path)?.control ?? (path === 'perftool.publishers' ? newPublisher : form.querySelector<HTMLElement>(`[data-field="${path}"] input`));
        append(saveReason, i ? ', ' : null, h('a', { href: `#${target?.id ?? ''}`, onclick: (e: Event) => (e.preventDefault(), (showAllErrors = true), update(), target?.focus()) }, label));
      });
    }
    resetButton.disabled = !dirty;
    uploadButton.disabled = dirty;
    uploadHint.textContent = dirty ? ctx.t('settings.uploadNeedsSave') : '';
  }

  build();
  root.append(form);
  return { destroy: () => (alive = false) };
}



