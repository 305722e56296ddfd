/** Every raw result of a publisher in a range, read in pages of Hasura's row limit (nothing is cut). */
import type { GraphqlClient } from './client';
import { RAW_RESULTS, RESULT_ROW_LIMIT } from './operations';
import type { ResultRow } from '../model/series';

/** Reads every raw result of one publisher in [from, to], page by page; `onPage` gets each page's new rows. */
export async function readAllRaw(client: GraphqlClient, publisher: string, fromMs: number, toMs: number, onPage: (rows: ResultRow[]) => void, cancelled: () => boolean, limit = RESULT_ROW_LIMIT): Promise<void> {
  let from = new Date(fromMs).toISOString();
  // Rows at the cursor time already delivered: the next page starts AT that time and skips them.
  let skip = 0;
  for (;;) {
    const page = await client.request<{ rows: ResultRow[] }>(RAW_RESULTS, { publisher, from, to: new Date(toMs).toISOString(), limit });
    if (cancelled()) return;
    const fresh = page.rows.slice(skip);
    onPage(fresh);
    if (page.rows.length < limit) return;
    const last = page.rows[page.rows.length - 1].timestamp;
    const atLast = page.rows.filter((r) => r.timestamp === last).length;
    // A whole page at one time cannot be paged past by time: say so rather than loop or cut.
    if (atLast === page.rows.length) throw new Error(`more than ${limit} results of ${publisher} at ${last}: cannot page`);
    skip = atLast;
    from = last;
  }
}

