/**
 * The one rule for publisher names (perftool's `name`), shared by the viewer and `npm run pi-config`: a name one of
 * them accepts, the other accepts too. The runner passes the name through env files and its command line, and turns
 * numeric-looking values into numbers (which the sink then rejects), hence the rule.
 */

export type PublisherNameProblem = 'invalid' | 'number';

/** Null when the name is fine; otherwise which part of the rule it breaks. */
export function publisherNameProblem(name: string): PublisherNameProblem | null {
  if (!/^[^\s'"#=$]{1,200}$/.test(name)) return 'invalid';
  if (/^[+-]?(\d+|\d*\.\d+|\d+\.\d*)([eE][+-]?\d+)?$/.test(name)) return 'number';
  return null;
}
