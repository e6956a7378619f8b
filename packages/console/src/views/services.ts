import type { ApiClient } from '../api';
import type { LiveUpdates } from '../live';

/** What every view gets: the REST client and the live-update transport. */
export interface Services {
  api: ApiClient;
  live: LiveUpdates;
}
