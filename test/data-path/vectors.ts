/** The shared test vectors (copied from ../shared/vectors), read once for the data-path tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MSKEvent } from 'aws-lambda';

// A verbatim copy of ../shared/vectors so the repository's tests run on their own.
export const VECTORS_DIR = join(__dirname, 'vectors');

/** "message 0" from the original Java serializer's tests (vectors/sinetstream.md). */
export const JAVA_V2_HEX = 'c3011f9c0c91eb33664f8096c4c7eb5b126d6573736167652030';
export const JAVA_V3_HEX = `df0300000000${JAVA_V2_HEX}`;

export function mskEventVector(): MSKEvent {
  return JSON.parse(readFileSync(join(VECTORS_DIR, 'msk-event.json'), 'utf8')) as MSKEvent;
}

/** The real perftool result encoded as the Pi sends it (base64 value of the MSK event vector). */
export function realResultBase64(): string {
  const md = readFileSync(join(VECTORS_DIR, 'sinetstream.md'), 'utf8');
  const match = /```\n([A-Za-z0-9+/=]+)\n```/.exec(md);
  if (!match) throw new Error('base64 vector not found in sinetstream.md');
  return match[1];
}

export function perftoolResultLines(): string[] {
  return readFileSync(join(VECTORS_DIR, 'perftool-results.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
}
