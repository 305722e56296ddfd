/**
 * Playback of a stored range at a speed relative to real time. A pure state machine: the UI feeds it elapsed
 * wall-clock time (from requestAnimationFrame) and user actions, and draws `position`.
 */
import { lastIndexAtOrBefore } from './series';

export interface PlayerState {
  fromMs: number;
  toMs: number;
  positionMs: number;
  playing: boolean;
  /** Multiple of real time: 60 means one minute of results per second. */
  rate: number;
  repeat: boolean;
}

export function createPlayer(fromMs: number, toMs: number, rate: number, repeat: boolean): PlayerState {
  if (!(toMs > fromMs)) throw new Error('playback range: "from" must be before "to"');
  return { fromMs, toMs, positionMs: fromMs, playing: false, rate, repeat };
}

/** Advances by `elapsedMs` of real time. At the end it wraps (repeat) or stops at `to` and pauses. */
export function advance(s: PlayerState, elapsedMs: number): PlayerState {
  if (!s.playing || elapsedMs <= 0) return s;
  const next = s.positionMs + elapsedMs * s.rate;
  if (next < s.toMs) return { ...s, positionMs: next };
  if (s.repeat) {
    const span = s.toMs - s.fromMs;
    return { ...s, positionMs: s.fromMs + ((next - s.fromMs) % span) };
  }
  return { ...s, positionMs: s.toMs, playing: false };
}

export function play(s: PlayerState): PlayerState {
  // Pressing play at the end starts again from the beginning.
  return { ...s, playing: true, positionMs: s.positionMs >= s.toMs ? s.fromMs : s.positionMs };
}

export const pause = (s: PlayerState): PlayerState => ({ ...s, playing: false });

/** Scrub: jump to a position, clamped to the range. */
export function seek(s: PlayerState, positionMs: number): PlayerState {
  return { ...s, positionMs: Math.min(s.toMs, Math.max(s.fromMs, positionMs)) };
}

/**
 * Step to the next (+1) or previous (−1) result time in `timesMs` (sorted); pauses playback. Without results in
 * that direction it goes to the range end (or start).
 */
export function step(s: PlayerState, direction: 1 | -1, timesMs: readonly number[]): PlayerState {
  const paused = { ...s, playing: false };
  if (direction === 1) {
    const i = lastIndexAtOrBefore(timesMs, s.positionMs) + 1;
    const next = i < timesMs.length ? timesMs[i] : s.toMs;
    return seek(paused, Math.min(next, s.toMs));
  }
  // Previous: the last time strictly before the position.
  let i = lastIndexAtOrBefore(timesMs, s.positionMs);
  if (i >= 0 && timesMs[i] >= s.positionMs) i--;
  return seek(paused, i >= 0 ? timesMs[i] : s.fromMs);
}

export const setRate = (s: PlayerState, rate: number): PlayerState => ({ ...s, rate });
export const setRepeat = (s: PlayerState, repeat: boolean): PlayerState => ({ ...s, repeat });
