/**
 * The console's REST client: bearer tokens with refresh-token rotation (one refresh in flight at a
 * time, retried once on a 401), FastAPI-style error bodies turned into readable messages.
 */
export const API = '/api/v1';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export interface ErrorItem {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

/** An error reply: status plus the guide's `detail` (a string, or a list of field errors). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ErrorItem[],
  ) {
    super(typeof detail === 'string' ? detail : detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
  }
}

const STORE_KEY = 'fillsched.tokens';

export class ApiClient {
  private tokens: Tokens | null;
  private refreshing: Promise<boolean> | null = null;
  /** Called when the session ends (logout, refresh refused): the app shows the login page. */
  onSignedOut: () => void = () => undefined;

  constructor(private readonly storage: Storage = sessionStorage) {
    const saved = storage.getItem(STORE_KEY);
    this.tokens = saved ? (JSON.parse(saved) as Tokens) : null;
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  /** The current access token (for the WebSocket auth message). */
  get accessToken(): string | null {
    return this.tokens?.access_token ?? null;
  }

  private save(t: Tokens | null): void {
    this.tokens = t;
    if (t) this.storage.setItem(STORE_KEY, JSON.stringify(t));
    else this.storage.removeItem(STORE_KEY);
  }

  async login(email: string, password: string): Promise<void> {
    const t = await this.raw<Tokens>('POST', '/auth/login', { username: email, password }, false);
    this.save(t);
  }

  async register(email: string, password: string): Promise<void> {
    await this.raw('POST', '/auth/register', { email, password }, false);
  }

  async logout(): Promise<void> {
    const t = this.tokens;
    if (t) await this.raw('POST', '/auth/logout', { refresh_token: t.refresh_token }).catch(() => undefined);
    this.save(null);
    this.onSignedOut();
  }

  /** Rotates the token pair; false (and signed out) when the refresh token is refused. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      const rt = this.tokens?.refresh_token;
      this.refreshing = (async () => {
        if (!rt) return false;
        try {
          this.save(await this.raw<Tokens>('POST', '/auth/refresh', { refresh_token: rt }, false));
          return true;
        } catch {
          this.save(null);
          this.onSignedOut();
          return false;
        }
      })().finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** A download (export): the body as a Blob with the server's file name. */
  async download(path: string): Promise<{ blob: Blob; filename: string }> {
    const res = await this.fetchAuthed('GET', path);
    if (!res.ok) throw await errorOf(res);
    const cd = res.headers.get('Content-Disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(cd)?.[1] ?? 'export';
    return { blob: await res.blob(), filename };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetchAuthed(method, path, body);
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  private async fetchAuthed(method: string, path: string, body?: unknown): Promise<Response> {
    const send = () =>
      fetch(API + path, {
        method,
        headers: {
          ...(this.tokens ? { Authorization: `Bearer ${this.tokens.access_token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    let res = await send();
    if (res.status === 401 && this.tokens && (await this.refresh())) res = await send();
    else if (res.status === 401) {
      this.save(null);
      this.onSignedOut();
    }
    return res;
  }

  private async raw<T>(method: string, path: string, body?: unknown, authed = true): Promise<T> {
    const res = authed
      ? await this.fetchAuthed(method, path, body)
      : await fetch(API + path, {
          method,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { detail?: string | ErrorItem[] };
    return new ApiError(res.status, body.detail ?? res.statusText);
  } catch {
    return new ApiError(res.status, res.statusText || `HTTP ${res.status}`);
  }
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// --- response shapes the console reads (the contracts' REST bodies)
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export interface ScheduleSummary {
  id: number;
  name: string;
  strategy: string;
  status: RunStatus;
  created_at: string;
  completed_at: string | null;
  error_message: string | null;
  /** Replans: the schedule this one re-plans, and 1 + its version. */
  parent_id?: number;
  version?: number;
}
export interface Activity {
  kind: 'CLEAN' | 'CHANGEOVER' | 'FILL' | 'IDLE' | 'DOWNTIME';
  line: number;
  lot_id?: string;
  type?: string;
  start: string;
  end: string;
  duration: number;
}
export interface ScheduleResult {
  makespan: number;
  utilization: number;
  changeovers: number;
  lots_scheduled: number;
  window_violations: number;
  kpis: Record<string, unknown>;
  activities?: Activity[];
  replan?: ReplanDiff;
}
/** result.replan of a replanned schedule: the diff against its parent (contracts' ReplanDiff). */
export interface ReplanDiff {
  parent_id: number | null;
  at: string;
  frozen_lots: number;
  moved_count: number;
  line_changes: number;
  moved: { lot_id: string; from_line: number; to_line: number; shift_hours: number }[];
  added: string[];
  removed: string[];
  changed: string[];
  kpi_deltas: Record<string, number>;
}
export interface ScheduleOut extends ScheduleSummary {
  result?: ScheduleResult | null;
}
export interface ComparisonResult {
  strategy: string;
  status: RunStatus;
  makespan: number | null;
  utilization: number | null;
  changeovers: number | null;
  lots_scheduled: number | null;
  window_violations: number | null;
  execution_time: number | null;
  lower_bound?: number | null;
  gap?: number | null;
  error_message?: string | null;
}
export interface ComparisonSummary {
  id: number;
  name: string;
  strategies: string[];
  status: RunStatus;
  created_at: string;
  completed_at: string | null;
}
export interface ComparisonOut extends ComparisonSummary {
  best_strategy?: string | null;
  results?: ComparisonResult[];
}
export interface Template {
  id: number;
  name: string;
  description: string | null;
  config: Record<string, unknown>;
  is_public: boolean;
  is_default: boolean;
}
export interface Strategy {
  id: string;
  name: string;
  description?: string;
}
export interface ValidationReport {
  valid: boolean;
  errors: string[];
  warnings: string[];
  lots_count?: number;
}
