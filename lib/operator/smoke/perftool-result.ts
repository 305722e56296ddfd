import { randomBytes } from 'node:crypto';

/** A name no Pi uses, so the smoke test finds exactly its own result: smoke-<UTC time>-<random>. */
export function smokePublisherName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `smoke-${stamp}-${randomBytes(3).toString('hex')}`;
}

function side(threadNumber: number, startMs: number, endMs: number, count: number, payloadSize: number) {
  const seconds = (endMs - startMs) / 1000;
  // perftool counts the SINETStream overhead in the message size (1024 B payload -> 1044 B).
  const size = payloadSize + 20;
  return {
    thread_number: threadNumber,
    start_time: startMs / 1000,
    start_time_ms: startMs,
    end_time: endMs / 1000,
    end_time_ms: endMs,
    time: seconds,
    time_ms: endMs - startMs,
    msg_count_total: count,
    msg_count_rate: count / seconds,
    msg_bytes_total: count * size,
    msg_bytes_rate: (count * size) / seconds,
    msg_size_min: size,
    msg_size_max: size,
    msg_size_avg: size,
    error_count_total: 0,
    error_count_rate: 0.0,
  };
}

export type PerftoolResult = { writer: ReturnType<typeof side>; reader: ReturnType<typeof side>; name: string };

/** A perftool result in the shape the Pi runner publishes (SPEC §3.2), measured "just now". */
export function smokePerftoolResult(name: string, endMs: number): PerftoolResult {
  return {
    writer: side(0, endMs - 650, endMs - 2, 300, 1024),
    reader: side(0, endMs - 650, endMs, 300, 1024),
    name,
  };
}
