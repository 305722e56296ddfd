/**
 * Short descriptions of untrusted values for rejection reasons and log lines. Bounded and iterative: a value nested
 * or sized at will (JSON.stringify would recurse through all of it, and overflow the stack past a few thousand
 * levels) costs only the characters shown.
 */

/** Characters of a value's JSON text quoted in a description. */
export const PREVIEW_CHARS = 40;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `null`, `array`, or the typeof of a value. */
export const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** `missing`, or `got <kind> <start of its JSON text>` (…-terminated when cut). */
export function describeValue(input: unknown): string {
  if (input === undefined) return 'missing';
  if (typeof input === 'number' && !Number.isFinite(input)) return 'got a number beyond ±1.8e308, such as 1e400';
  const kind = kindOf(input);
  const text = jsonPreview(input, PREVIEW_CHARS + 1);
  return `got ${kind} ${text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text}`;
}

/** A string quoted as JSON, cut to PREVIEW_CHARS characters. */
export function quotePreview(s: string): string {
  const text = JSON.stringify(s.slice(0, PREVIEW_CHARS + 1));
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

interface Frame {
  items: readonly unknown[] | null;
  object: Record<string, unknown> | null;
  keys: readonly string[] | null;
  next: number;
}

/**
 * The first `limit` (or more) characters of the value's JSON text, as JSON.stringify writes it for JSON values
 * (non-finite numbers are written as Infinity, not null). An explicit stack of open containers replaces recursion.
 */
function jsonPreview(input: unknown, limit: number): string {
  let out = '';
  const open: Frame[] = [];
  let pending = true;
  let value: unknown = input;
  while (out.length < limit) {
    if (pending) {
      pending = false;
      if (Array.isArray(value)) {
        out += '[';
        open.push({ items: value, object: null, keys: null, next: 0 });
      } else if (isObject(value)) {
        out += '{';
        open.push({ items: null, object: value, keys: Object.keys(value), next: 0 });
      } else {
        // Strings are cut before quoting: only their start can be shown.
        out += typeof value === 'string' ? JSON.stringify(value.slice(0, limit)) : String(value);
      }
      continue;
    }
    const frame = open.at(-1);
    if (frame === undefined) break;
    const length = frame.keys !== null ? frame.keys.length : (frame.items as readonly unknown[]).length;
    if (frame.next >= length) {
      out += frame.keys !== null ? '}' : ']';
      open.pop();
      continue;
    }
    if (frame.next > 0) out += ',';
    if (frame.keys !== null) {
      const key = frame.keys[frame.next];
      out += `${JSON.stringify(key.slice(0, limit))}:`;
      value = (frame.object as Record<string, unknown>)[key];
    } else {
      value = (frame.items as readonly unknown[])[frame.next];
    }
    frame.next++;
    pending = true;
  }
  return out;
}
