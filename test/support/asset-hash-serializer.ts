/**
 * Snapshot serializer that replaces CDK asset hashes (64 hex chars) and Lambda version logical-ID hashes,
 * so snapshots change only when the infrastructure does, not when asset contents are rebuilt.
 */
const ASSET_HASH = /[0-9a-f]{64}(\.zip|\.json)?/g;

export const test = (val: unknown): boolean => typeof val === 'string' && /[0-9a-f]{64}/.test(val);
export const serialize = (val: string): string => JSON.stringify(val.replace(ASSET_HASH, (_m, ext) => `[ASSET HASH]${ext ?? ''}`));
