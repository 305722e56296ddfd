/**
 * "Download settings from server" (pick a viewer_config, pick groups, see what will change, apply to the form)
 * and "Upload settings to server" (insert, or overwrite after confirmation). Compatible with the original's
 * viewer_config JSON in both directions.
 */
import { CONFIG_BY_ID, CONFIG_BY_NAME, CONFIG_NAMES, ConfigRow, ConfigSummary, INSERT_CONFIG, UPDATE_CONFIG } from '../api/operations';
import { Dashboard, defaultDashboard } from '../model/dashboard';
import type { MessageKey } from '../model/i18n';
import { commentTooLarge, configNameProblem, ConfigRefusal, configTooLarge, foldName, refusalFromError } from '../model/configRules';
import { applyServerConfig, READ_ONLY_CONFIG_NAME, diffDashboards, differingGroups, groupsIn, GROUPS, mergeOverExisting, Target, toServerConfig } from '../model/serverConfig';
import type { AppContext, Screen } from './context';
import { append, clear, confirmDialog, h, toast, uniqueId } from './dom';
import { errorText } from './text';

function targetCheckbox(ctx: AppContext, target: Target, checked: boolean, onChange: (on: boolean) => void, disabled = false) {
  const id = uniqueId('t');
  return h('div', { class: `check${target.includes('.') ? ' sub' : ''}` }, h('input', { type: 'checkbox', id, value: target, checked, disabled, onchange: (e: Event) => onChange((e.target as HTMLInputElement).checked) }), h('label', { for: id }, ctx.t(`group.${target}` as MessageKey)));
}

const show = (v: unknown) => (v === undefined ? '–' : JSON.stringify(v));

export function downloadScreen(ctx: AppContext, root: HTMLElement): Screen {
  const base: Dashboard = structuredClone(ctx.dashboardSaved && !ctx.url.isNew && ctx.dashboard ? ctx.dashboard : defaultDashboard(''));
  const backToSettings = () => ctx.navigate({ view: 'settings', dashboard: ctx.dashboardSaved && !ctx.url.isNew ? base.name : undefined, isNew: ctx.url.isNew });
  const selectId = uniqueId('cfg');
  const picker = h('select', { id: selectId });
  const comment = h('p', { class: 'help' });
  const groupsBox = h('fieldset', { class: 'groups' }, h('legend', {}, ctx.t('download.groups')));
  const changes = h('div', { class: 'changes', 'aria-live': 'polite' });
  const problem = h('p', { class: 'field-error', role: 'alert' });
  const apply = h('button', { type: 'button', class: 'primary', disabled: true }, ctx.t('download.apply'));
  let targets = new Set<Target>();
  let current: ConfigRow | null = null;
  let alive = true;

  append(
    root,
    h(
      'section',
      { class: 'card' },
      h('h1', {}, ctx.t('download.title', { name: base.name || ctx.t('settings.titleNew') })),
      h('div', { class: 'field' }, h('label', { for: selectId }, ctx.t('download.choose')), picker, comment),
      groupsBox,
      h('h2', {}, ctx.t('download.changes')),
      changes,
      problem,
      h('div', { class: 'actions' }, apply, h('button', { type: 'button', class: 'secondary', onclick: backToSettings }, ctx.t('settings.cancel'))),
    ),
  );

  const applied = () => (current ? applyServerConfig(base, current.config, [...targets]) : base);

  const renderGroups = () => {
    for (const el of [...groupsBox.querySelectorAll('.check')]) el.remove();
    if (!current) return;
    const present = groupsIn(current.config);
    for (const g of GROUPS) {
      if (!present.includes(g)) continue;
      append(
        groupsBox,
        targetCheckbox(ctx, g, targets.has(g), (on) => {
          if (on) targets.add(g);
          else targets.delete(g);
          renderGroups();
          renderChanges();
        }),
      );
      const single: Target | null = g === 'perftool' ? 'perftool.name' : g === 'player' ? 'player.from' : null;
      if (single) {
        append(
          groupsBox,
          targetCheckbox(ctx, single, targets.has(g) || targets.has(single), (on) => {
            if (on) targets.add(single);
            else targets.delete(single);
            renderChanges();
          }, targets.has(g)),
        );
      }
    }
  };

  const renderChanges = () => {
    clear(changes);
    const valid = !!current && [...targets].some((t) => groupsIn(current!.config).includes(t.split('.')[0] as (typeof GROUPS)[number]));
    apply.disabled = !valid;
    problem.textContent = current && !valid ? ctx.t('download.needGroup') : '';
    if (!current) return;
    // Every difference the server config holds; those of unticked groups are listed as not applied.
    const diff = diffDashboards(base, applyServerConfig(base, current.config, [...GROUPS]));
    const appliedPaths = new Set(diffDashboards(base, applied()).map((c) => c.path));
    if (!diff.length) return append(changes, h('p', {}, ctx.t('download.noChanges')));
    append(
      changes,
      h(
        'table',
        {},
        h(
          'tbody',
          {},
          ...diff.map((c) => {
            const on = appliedPaths.has(c.path);
            return h('tr', { class: on ? 'applied' : 'not-applied', 'data-path': c.path }, h('th', { scope: 'row' }, c.path), h('td', { class: 'before' }, show(c.before)), h('td', {}, '→'), h('td', { class: 'after' }, show(c.after)), h('td', { class: 'state' }, on ? '' : ctx.t('download.notApplied')));
          }),
        ),
      ),
    );
  };

  picker.addEventListener('change', async () => {
    current = null;
    renderGroups();
    renderChanges();
    const id = Number(picker.value);
    if (!picker.value) return;
    try {
      const data = await ctx.client.request<{ viewer_config_by_pk: ConfigRow | null }>(CONFIG_BY_ID, { id });
      if (!alive || Number(picker.value) !== id) return;
      current = data.viewer_config_by_pk;
      comment.textContent = current?.comment ?? '';
      targets = new Set<Target>(current ? differingGroups(base, current.config) : []);
      renderGroups();
      renderChanges();
    } catch (e) {
      problem.textContent = ctx.t('state.error', { message: errorText(ctx, e) });
    }
  });

  apply.addEventListener('click', () => {
    ctx.setStaged({ ...applied(), name: base.name });
    backToSettings();
  });

  ctx.client
    .request<{ viewer_config: ConfigSummary[] }>(CONFIG_NAMES)
    .then((data) => {
      if (!alive) return;
      append(picker, h('option', { value: '' }, ctx.t('download.placeholder')), ...data.viewer_config.map((c) => h('option', { value: c.id }, c.name)));
      if (!data.viewer_config.length) problem.textContent = ctx.t('download.empty');
      // Same name as the local dashboard → preselect it, as the original did.
      const same = data.viewer_config.find((c) => c.name === base.name);
      if (same) {
        picker.value = String(same.id);
        picker.dispatchEvent(new Event('change'));
      }
    })
    .catch((e: Error) => {
      problem.textContent = ctx.t('state.error', { message: errorText(ctx, e) });
      toast(ctx.t('error.toast', { message: errorText(ctx, e) }), 'error');
    });

  return { destroy: () => (alive = false) };
}

export function uploadScreen(ctx: AppContext, root: HTMLElement): Screen {
  const dashboard = ctx.dashboard;
  const backToSettings = () => ctx.navigate({ view: 'settings', dashboard: dashboard?.name });
  if (!dashboard || !ctx.dashboardSaved) {
    backToSettings();
    return { destroy: () => undefined };
  }
  const nameInput = h('input', { type: 'text', id: uniqueId('name'), value: dashboard.name, autocomplete: 'off' });
  const nameHelp = h('p', { class: 'help', id: `${nameInput.id}-error`, 'aria-live': 'polite' });
  nameInput.setAttribute('aria-describedby', nameHelp.id);
  const commentInput = h('input', { type: 'text', id: uniqueId('comment'), autocomplete: 'off' });
  const commentHelp = h('p', { class: 'field-error', id: `${commentInput.id}-error`, 'aria-live': 'polite' });
  commentInput.setAttribute('aria-describedby', commentHelp.id);
  const groupsBox = h('fieldset', { class: 'groups' }, h('legend', {}, ctx.t('upload.groups')));
  const submit = h('button', { type: 'button', class: 'primary' }, ctx.t('upload.submit'));
  const problem = h('p', { class: 'field-error', role: 'alert' });
  const targets = new Set<Target>(GROUPS);
  let names: string[] = [];
  let namesOk = false;

  for (const g of GROUPS) {
    append(groupsBox, targetCheckbox(ctx, g, true, (on) => {
      if (on) targets.add(g);
      else targets.delete(g);
      refresh();
    }));
  }

  const refusalText = (r: ConfigRefusal) => ctx.t(`refusal.${r}`);
  /** The server's name for the typed one: the same name, or one equal to it ignoring case and surrounding spaces. */
  const serverName = (name: string) => names.find((n) => n === name) ?? names.find((n) => foldName(n) === foldName(name));
  const refresh = () => {
    const name = nameInput.value;
    const existing = serverName(name);
    const nameProblem = configNameProblem(name);
    const readOnly = existing !== undefined && foldName(existing) === READ_ONLY_CONFIG_NAME;
    nameHelp.textContent = nameProblem
      ? refusalText(nameProblem)
      : readOnly
        ? ctx.t('upload.readOnly', { name: existing })
        : existing === name
          ? ctx.t('upload.existing')
          : existing !== undefined
            ? ctx.t('upload.existingAs', { name: existing })
            : ctx.t('upload.new');
    nameHelp.classList.toggle('field-error', !!nameProblem || readOnly);
    const commentProblem = commentTooLarge(commentInput.value.trim());
    commentHelp.textContent = commentProblem ? refusalText('commentSize') : '';
    submit.disabled = !namesOk || !!nameProblem || readOnly || commentProblem || targets.size === 0;
  };
  nameInput.addEventListener('input', refresh);
  commentInput.addEventListener('input', refresh);

  submit.addEventListener('click', async () => {
    // An existing name in another case overwrites that row (the database treats them as one name).
    const name = serverName(nameInput.value) ?? nameInput.value;
    const commentText = commentInput.value.trim();
    const picked = toServerConfig(dashboard, [...targets]);
    problem.textContent = '';
    if (configTooLarge(picked)) {
      problem.textContent = refusalText('configSize');
      return;
    }
    submit.disabled = true;
    try {
      const found = await ctx.client.request<{ viewer_config: ConfigRow[] }>(CONFIG_BY_NAME, { name });
      const existing = found.viewer_config[0];
      if (!existing) {
        await ctx.client.request(INSERT_CONFIG, { object: { name, comment: commentText || null, config: picked } });
      } else {
        if (!(await confirmDialog(ctx.t('upload.overwrite', { name }), ctx.t('upload.overwriteOk'), ctx.t('dialog.cancel')))) return;
        const result = await ctx.client.request<{ update_viewer_config_by_pk: { id: number } | null }>(UPDATE_CONFIG, {
          id: existing.id,
          set: { config: mergeOverExisting(existing.config, picked), comment: commentText || existing.comment },
        });
        if (!result.update_viewer_config_by_pk) {
          problem.textContent = ctx.t('upload.protected', { name });
          return;
        }
      }
      toast(ctx.t('upload.done', { name }));
      backToSettings();
    } catch (e) {
      // A limit of the database (named by its constraint in Hasura's message) in words; anything else as an error.
      const refusal = refusalFromError((e as Error).message ?? '');
      problem.textContent = refusal ? refusalText(refusal) : ctx.t('state.error', { message: errorText(ctx, e) });
      problem.dataset.refusal = refusal ?? '';
    } finally {
      refresh();
    }
  });

  append(
    root,
    h(
      'section',
      { class: 'card' },
      h('h1', {}, ctx.t('upload.title', { name: dashboard.name })),
      h('div', { class: 'field' }, h('label', { for: nameInput.id }, ctx.t('upload.name')), nameInput, nameHelp),
      h('div', { class: 'field' }, h('label', { for: commentInput.id }, ctx.t('upload.comment')), commentInput, commentHelp),
      groupsBox,
      problem,
      h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: backToSettings }, ctx.t('settings.cancel'))),
    ),
  );
  refresh();
  ctx.client
    .request<{ viewer_config: ConfigSummary[] }>(CONFIG_NAMES)
    .then((data) => {
      names = data.viewer_config.map((c) => c.name);
      namesOk = true;
      refresh();
    })
    .catch((e: Error) => {
      problem.textContent = ctx.t('state.error', { message: errorText(ctx, e) });
      nameInput.disabled = true;
    });
  return { destroy: () => undefined };
}
