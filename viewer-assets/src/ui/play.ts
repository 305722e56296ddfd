/** Playback: replay a stored range at a speed relative to real time, with play, pause, step, scrub and repeat. */
import { fetchResults, RESULT_ROW_LIMIT } from '../api/operations';
import { parseLocalTime, PLAYBACK_RATES } from '../model/dashboard';
import { advance, createPlayer, pause, play, PlayerState, seek, setRate, setRepeat, step } from '../model/player';
import { gapThreshold, lastIndexAtOrBefore, ResultRow, rowTime, thinRows } from '../model/series';
import { chooseSource, estimateResultInterval, thinningGroupMs } from '../model/source';
import { createChartGrid } from './chartGrid';
import type { AppContext, Screen } from './context';
import { formatDateTime, offsetLabel, parseDateTime } from '../model/time';
import { append, formatTime, h, uniqueId } from './dom';
import { exportControls } from './export';
import { dashboardZoneSelect, errorText, messageWithNames } from './text';

export function playScreen(ctx: AppContext, root: HTMLElement): Screen {
  const d = ctx.dashboard!;
  const publishers = d.perftool.publishers;
  const now = Date.now();
  const fromMs = ctx.url.fromMs ?? parseLocalTime(d.player.from) ?? now - 3_600_000;
  const toMs = ctx.url.toMs ?? parseLocalTime(d.player.to) ?? now;
  let player: PlayerState | null = null;
  let rows: ResultRow[] = [];
  /** Stored rows of the source in use, before thinning for drawing (what "Export CSV" writes). */
  let storedRows: ResultRow[] = [];
  let shownBucketSeconds: number | null = null;
  let truncatedPublishers: string[] = [];
  let times: number[] = [];
  let gapMs = 150_000;
  let frame = 0;
  let lastFrame = 0;
  let shownIndex = -2;
  let alive = true;
  /** Number of the newest "Load range": an older one still in flight is dropped when it lands. */
  let currentLoad = 0;

  const id = (p: string) => uniqueId(p);
  const fromId = id('from');
  const toId = id('to');
  const rateId = id('rate');
  const posId = id('pos');
  const repeatId = id('repeat');
  const zone = d.chart.timeZone;
  const zoneId = id('zone');
  // Text inputs in the viewer's one format (a datetime-local picker follows the browser's locale instead).
  const timeInput = (inputId: string, ms: number) => h('input', { type: 'text', id: inputId, value: formatDateTime(ms, zone), inputmode: 'numeric', autocomplete: 'off', placeholder: 'YYYY-MM-DD HH:mm', 'aria-describedby': `${inputId}-hint`, class: 'time-input' });
  const fromInput = timeInput(fromId, fromMs);
  const toInput = timeInput(toId, toMs);
  const hint = h('span', { class: 'help', id: `${fromId}-hint` }, ctx.t('time.hint', { offset: offsetLabel(fromMs, zone) }));
  toInput.setAttribute('aria-describedby', `${fromId}-hint`);
  const timeZone = dashboardZoneSelect(ctx, zoneId);
  const rateSelect = h('select', { id: rateId }, ...[...new Set([...PLAYBACK_RATES, d.player.rate])].sort((a, b) => a - b).map((r) => h('option', { value: r, selected: r === d.player.rate }, `${r}×`)));
  const playButton = h('button', { type: 'button', class: 'primary', disabled: true }, ctx.t('play.play'));
  const backButton = h('button', { type: 'button', class: 'secondary', 'aria-label': ctx.t('play.stepBack'), title: ctx.t('play.stepBack'), disabled: true }, '|◀');
  const forwardButton = h('button', { type: 'button', class: 'secondary', 'aria-label': ctx.t('play.stepForward'), title: ctx.t('play.stepForward'), disabled: true }, '▶|');
  const scrub = h('input', { type: 'range', id: posId, min: 0, max: 1000, step: 1, value: 0, disabled: true, 'aria-label': ctx.t('play.position') });
  const repeatBox = h('input', { type: 'checkbox', id: repeatId, checked: d.player.repeat });
  const position = h('output', { class: 'position', 'data-testid': 'position', for: posId });
  const problem = h('p', { class: 'field-error', role: 'alert' });
  const grid = createChartGrid(ctx, d);

  append(
    root,
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': ctx.t('nav.play') },
      h('label', { for: fromId }, ctx.t('play.from')),
      fromInput,
      h('label', { for: toId }, ctx.t('play.to')),
      toInput,
      h('button', { type: 'button', class: 'secondary', onclick: () => loadRange() }, ctx.t('play.load')),
      hint,
      h('label', { for: rateId }, ctx.t('play.rate')),
      rateSelect,
      h('label', { for: zoneId }, ctx.t('time.zone')),
      timeZone,
      exportControls(ctx, d, () => (shownBucketSeconds === null ? null : { rows: storedRows, bucketSeconds: shownBucketSeconds, range: grid.visibleRange(), truncated: truncatedPublishers })),
    ),
    h('div', { class: 'toolbar player' }, backButton, playButton, forwardButton, scrub, h('span', { class: 'check' }, repeatBox, h('label', { for: repeatId }, ctx.t('play.repeat'))), position),
    problem,
    d.perftool.visible ? null : h('p', { class: 'notice' }, ctx.t('state.hidden')),
    grid.el,
  );

  const render = () => {
    if (!player) return;
    const pos = player.positionMs;
    position.textContent = formatTime(pos, zone);
    position.dataset.time = String(pos);
    scrub.value = String(Math.round(((pos - player.fromMs) / (player.toMs - player.fromMs)) * 1000));
    playButton.textContent = player.playing ? ctx.t('play.pause') : ctx.t('play.play');
    // Reveal results up to the position; redraw the data only when that changes, the marker every frame.
    const idx = lastIndexAtOrBefore(times, pos);
    if (idx !== shownIndex) {
      shownIndex = idx;
      grid.show(rows, gapMs, [player.fromMs / 1000, player.toMs / 1000], (xs) => lastIndexAtOrBefore(xs, pos / 1000) + 1);
    }
    grid.setMarker(pos / 1000);
  };

  const tick = (t: number) => {
    if (!alive || !player) return;
    const elapsed = lastFrame ? t - lastFrame : 0;
    lastFrame = t;
    player = advance(player, elapsed);
    render();
    if (player.playing) frame = requestAnimationFrame(tick);
  };

  const set = (next: PlayerState) => {
    const wasPlaying = player?.playing;
    player = next;
    render();
    if (player.playing && !wasPlaying) {
      lastFrame = 0;
      frame = requestAnimationFrame(tick);
    }
  };

  playButton.addEventListener('click', () => player && set(player.playing ? pause(player) : play(player)));
  backButton.addEventListener('click', () => player && set(step(player, -1, times)));
  forwardButton.addEventListener('click', () => player && set(step(player, 1, times)));
  scrub.addEventListener('input', () => player && set(pause(seek(player, player.fromMs + (Number(scrub.value) / 1000) * (player.toMs - player.fromMs)))));
  repeatBox.addEventListener('change', () => player && set(setRepeat(player, repeatBox.checked)));
  rateSelect.addEventListener('change', () => player && set(setRate(player, Number(rateSelect.value))));

  async function loadRange() {
    const load = ++currentLoad;
    const isCurrent = () => alive && load === currentLoad;
    cancelAnimationFrame(frame);
    problem.textContent = '';
    const from = parseDateTime(fromInput.value, zone);
    const to = parseDateTime(toInput.value, zone);
    if (from === null || to === null || from >= to) {
      problem.textContent = ctx.t('play.invalid');
      return;
    }
    ctx.navigate({ view: 'play', dashboard: d.name, fromMs: from, toMs: to, publishers: ctx.url.publishers }, { replace: true, rerender: false });
    if (!d.perftool.visible) return;
    if (!publishers.length) return grid.setState({ kind: 'empty', message: ctx.t('state.noPublisher') });
    grid.setState({ kind: 'loading', message: ctx.t('state.loading') });
    try {
      const interval = estimateResultInterval(await ctx.publishers().catch(() => []), publishers);
      if (!isCurrent()) return;
      const source = chooseSource(to - from, grid.chartWidth(), interval);
      const result = await fetchResults(ctx.client, source.table, publishers.map((publisher) => ({ publisher, fromMs: from })), to);
      if (!isCurrent()) return;
      const groupMs = thinningGroupMs(source, to - from, grid.chartWidth());
      storedRows = result.rows;
      truncatedPublishers = result.truncated;
      shownBucketSeconds = source.bucketMs / 1000;
      grid.resetZoom();
      rows = thinRows(result.rows, groupMs);
      times = [...new Set(rows.map(rowTime))].sort((a, b) => a - b);
      gapMs = gapThreshold(Math.max(source.bucketMs, groupMs), interval);
      problem.textContent = result.truncated.length ? ctx.t('state.truncated', { count: RESULT_ROW_LIMIT, publishers: result.truncated.join(', ') }) : '';
      shownIndex = -2;
      for (const b of [playButton, backButton, forwardButton, scrub]) b.disabled = false;
      set(createPlayer(from, to, Number(rateSelect.value), repeatBox.checked));
      grid.setState(rows.length ? { kind: 'ready' } : { kind: 'empty', message: messageWithNames(ctx, 'state.empty', publishers) });
    } catch (e) {
      if (!isCurrent()) return;
      grid.setState({ kind: 'error', message: ctx.t('state.error', { message: errorText(ctx, e) }), retryLabel: ctx.t('state.retry'), onRetry: () => void loadRange() });
    }
  }

  void loadRange();
  return {
    destroy() {
      alive = false;
      cancelAnimationFrame(frame);
      grid.destroy();
    },
  };
}
