/**
 * Realistic synthetic perftool history for the local preview: several publishers, one result a minute each,
 * a multi-hour gap, an error burst and a publisher that went quiet. Deterministic (seeded) so screenshots and
 * tests see the same shapes. Results become MSK event records (SINETStream v3, base64) for the real sink code.
 */
import { kafkaRecord, seededRandom } from '../dev/records';
import { encodeSinetStream } from '../../lambda/shared/sinetstream';

export { seededRandom };
export type MskRecord = ReturnType<typeof kafkaRecord>;

export interface PublisherProfile {
  name: string;
  /** Typical writer throughput in bytes/s. */
  bytesRate: number;
  /** Data only inside [activeFromMs, activeToMs) relative to now (negative = past), if set. */
  activeFor?: { fromAgoMs: number; toAgoMs: number };
  /** No results in this window (ms ago). */
  gap?: { fromAgoMs: number; toAgoMs: number };
  /** Failing sends in this window (ms ago). */
  errorBurst?: { fromAgoMs: number; toAgoMs: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_PUBLISHERS: PublisherProfile[] = [
  { name: 'perftool-sinetstream-target', bytesRate: 480_000 },
  { name: 'pi-lab-01', bytesRate: 1_900_000, errorBurst: { fromAgoMs: 5 * HOUR, toAgoMs: 4.5 * HOUR } },
  { name: 'pi-lab-02', bytesRate: 120_000, gap: { fromAgoMs: 26 * HOUR, toAgoMs: 22 * HOUR } },
  { name: 'pi-campus-03', bytesRate: 60_000, activeFor: { fromAgoMs: 3 * DAY, toAgoMs: 2 * DAY } },
];

const inWindow = (w: { fromAgoMs: number; toAgoMs: number } | undefined, agoMs: number) => !!w && agoMs <= w.fromAgoMs && agoMs > w.toAgoMs;

/** One perftool result as the Pi runner publishes it (SPEC §3.2), measured just before `endMs`. */
export function syntheticResult(p: PublisherProfile, endMs: number, nowMs: number, random: () => number): Record<string, unknown> {
  const agoMs = nowMs - endMs;
  const daily = 1 + 0.25 * Math.sin((2 * Math.PI * (endMs % DAY)) / DAY);
  const failing = inWindow(p.errorBurst, agoMs);
  const size = 1044;
  const side = (jitter: number) => {
    const bytesRate = p.bytesRate * daily * (0.85 + 0.3 * random()) * jitter * (failing ? 0.4 : 1);
    const count = 300;
    const errors = failing ? Math.round(20 + 60 * random()) : random() < 0.01 ? 1 : 0;
    const timeMs = Math.max(1, Math.round(((count - errors) * size * 1000) / bytesRate));
    const start = endMs - timeMs;
    return {
      thread_number: 0,
      start_time: start / 1000,
      start_time_ms: start,
      end_time: endMs / 1000,
      end_time_ms: endMs,
      time: timeMs / 1000,
      time_ms: timeMs,
      msg_count_total: count - errors,
      msg_count_rate: ((count - errors) * 1000) / timeMs,
      msg_bytes_total: (count - errors) * size,
      msg_bytes_rate: ((count - errors) * size * 1000) / timeMs,
      msg_size_min: size,
      msg_size_max: size,
      msg_size_avg: size,
      error_count_total: errors,
      error_count_rate: (errors * 1000) / timeMs,
    };
  };
  return { writer: side(1), reader: side(0.97 + 0.02 * random()), name: p.name };
}

/** Whether publisher `p` has a result at `tMs` (respecting its active window and gap). */
export function isActive(p: PublisherProfile, tMs: number, nowMs: number): boolean {
  const agoMs = nowMs - tMs;
  if (p.activeFor && !inWindow(p.activeFor, agoMs)) return false;
  return !inWindow(p.gap, agoMs);
}

/**
 * Kafka offsets must be unique per partition (the sink stores each record once): derive them from the publish
 * time and the publisher index, so history and live results never collide.
 */
export function syntheticOffset(tMs: number, publisherIndex: number): number {
  return tMs * 16 + publisherIndex;
}

/** The MSK event record the Pi's result becomes (SINETStream v3, publish time = `tMs`). */
export function toMskRecord(result: Record<string, unknown>, tMs: number, offset: number): MskRecord {
  return kafkaRecord(offset, encodeSinetStream(JSON.stringify(result), BigInt(tMs) * 1000n), { timestamp: tMs });
}

/** History of `days` days up to `nowMs`, one result per publisher per `intervalMs`, as MSK records in time order. */
export function syntheticHistory(options: { nowMs: number; days: number; intervalMs?: number; publishers?: PublisherProfile[]; seed?: number }): MskRecord[] {
  const { nowMs, days } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  const publishers = options.publishers ?? DEFAULT_PUBLISHERS;
  const random = seededRandom(options.seed ?? 42);
  const records: MskRecord[] = [];
  const first = Math.ceil((nowMs - days * DAY) / intervalMs) * intervalMs;
  for (let t = first; t <= nowMs; t += intervalMs) {
    publishers.forEach((p, i) => {
      // Each Pi runs on its own schedule: offset by a few seconds per publisher.
      const tp = t - i * 7_000;
      if (tp > nowMs || !isActive(p, tp, nowMs)) return;
      records.push(toMskRecord(syntheticResult(p, tp, nowMs, random), tp, syntheticOffset(tp, i)));
    });
  }
  return records;
}
