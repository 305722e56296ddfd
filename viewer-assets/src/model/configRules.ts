/**
 * Limits the database puts on saved server settings (`viewer_config`), checked here before an upload so the user
 * learns them while typing, and the database's refusals (constraint names in Hasura's error text) turned into
 * words. The database stays the authority: a refusal it sends is always shown, whatever this module thought.
 */

export const CONFIG_NAME_MAX = 100;
export const COMMENT_MAX_BYTES = 1024;
export const CONFIG_MAX_BYTES = 64 * 1024;

/** Letters and digits of any script, space and `- _ . , : ; ( ) [ ] / + # @ &`. */
const NAME_CHARS = /^[\p{L}\p{N}_ .,:;()[\]/+#@&-]+$/u;

export type ConfigRefusal = 'nameEmpty' | 'nameTooLong' | 'nameSpaces' | 'nameChars' | 'nameTaken' | 'commentSize' | 'configSize' | 'rowLimit';

export function configNameProblem(name: string): ConfigRefusal | null {
  if (name.length === 0) return 'nameEmpty';
  if ([...name].length > CONFIG_NAME_MAX) return 'nameTooLong';
  if (name.trim() !== name) return 'nameSpaces';
  if (!NAME_CHARS.test(name)) return 'nameChars';
  return null;
}

/** Names the database treats as the same one: equal ignoring case and surrounding spaces. */
export const foldName = (name: string) => name.trim().toLowerCase();

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export const commentTooLarge = (comment: string) => utf8Bytes(comment) > COMMENT_MAX_BYTES;

/** Size of a config as PostgreSQL prints jsonb (`{"a": 1, "b": [1, 2]}`): the separators count. */
export function jsonbTextBytes(value: unknown): number {
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(', ')}]`;
    if (v !== null && typeof v === 'object') {
      return `{${Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${JSON.stringify(k)}: ${write(x)}`)
        .join(', ')}}`;
    }
    return JSON.stringify(v ?? null);
  };
  return utf8Bytes(write(value));
}

export const configTooLarge = (config: unknown) => jsonbTextBytes(config) > CONFIG_MAX_BYTES;

/** Which limit a server error names, or null for any other error. */
export function refusalFromError(message: string): ConfigRefusal | null {
  if (message.includes('viewer_config_row_limit')) return 'rowLimit';
  if (message.includes('viewer_config_name_folded_key')) return 'nameTaken';
  if (message.includes('viewer_config_name_rule')) return 'nameChars';
  if (message.includes('viewer_config_comment_size')) return 'commentSize';
  if (message.includes('viewer_config_config_size')) return 'configSize';
  return null;
}
