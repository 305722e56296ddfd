/** What every screen gets from the app shell. */
import type { GraphqlClient } from '../api/client';
import type { PublisherStats } from '../api/operations';
import type { Dashboard, Store } from '../model/dashboard';
import type { Lang, MessageKey } from '../model/i18n';
import type { UrlState } from '../model/urlState';

export interface AppContext {
  lang: Lang;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  client: GraphqlClient;
  store: Store;
  saveStore(): void;
  url: UrlState;
  /** Changes the URL; re-renders the screen unless `rerender` is false (e.g. only the window changed). */
  navigate(state: UrlState, options?: { replace?: boolean; rerender?: boolean }): void;
  /** The dashboard the URL names (saved, or built from the link when not saved here). */
  dashboard: Dashboard | null;
  /** True when `dashboard` is saved in this browser. */
  dashboardSaved: boolean;
  /** Publisher statistics (cached briefly). */
  publishers(force?: boolean): Promise<PublisherStats[]>;
  /** A dashboard prepared by "download from server", waiting in the settings form for Save. */
  staged: Dashboard | null;
  setStaged(d: Dashboard | null): void;
}

export interface Screen {
  destroy(): void;
}
