/**
 * The one rule for publisher names (perftool's `name`), shared by the viewer and `npm run pi-config`: a name one of
 * them accepts, the other accepts too. The runner passes the name through env files and its command line, and turns
 * numeric-looking values into numbers (which the sink then rejects), hence the rule.
 */

export type PublisherNameProblem = 'invalid' | 'number';

/** Null when the name is fine; otherwise which part of the rule it breaks. */
export function publisherNameProblem(name: string): PublisherNameProblem | null {
  if (!/^[^\s'"#=$]{1,200}$/.test(name)) return 'invalid';
  if (/^[+-]?(\d+|\d*\.\d+|\d+\.\d*)([eE][+-]?\d+)?$/.test(name) || runnerReadsAsNumber(name)) return 'number';
  return null;
}

/**
 * Whether the runner's conversion (Python `float()` for text with a dot, else `int()`) makes a number of `text`:
 * the one definition, used for names here and for every env-file value by `npm run pi-config`.
 */
export function runnerReadsAsNumber(text: string): boolean {
  // Python accepts any Unicode decimal digit, `_` between digits and surrounding whitespace.
  const digits = String.raw`\p{Nd}+(?:_\p{Nd}+)*`;
  if (text.includes('.')) return new RegExp(String.raw`^\s*[+-]?(?:${digits}\.(?:${digits})?|\.${digits})(?:[eE][+-]?${digits})?\s*$`, 'u').test(text);
  return new RegExp(String.raw`^\s*[+-]?${digits}\s*$`, 'u').test(text);
}
