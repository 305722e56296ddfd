/**
 * Writes the viewer's operations into lib/hasura/metadata.json: the allow-listed query collection and each
 * anonymous select permission's root fields (allow-list.ts). test/infra/hasura-metadata.test.ts fails when the
 * file and viewer-assets/src/api/operations.ts disagree.
 *
 * Regenerate after changing a viewer operation or a tracked table:  npx tsx lib/hasura/generate-metadata.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_OPERATIONS } from '../../viewer-assets/src/api/operations';
import { withViewerOperations } from './allow-list';

export const METADATA_FILE = join(__dirname, 'metadata.json');

/** The file's text as the generator writes it. */
export function renderMetadata(current: unknown, operations: Record<string, string> = ALL_OPERATIONS): string {
  return `${JSON.stringify(withViewerOperations(current, operations), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(METADATA_FILE, renderMetadata(JSON.parse(readFileSync(METADATA_FILE, 'utf8'))));
  console.log(`wrote ${METADATA_FILE}`);
}
