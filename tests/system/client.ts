// A small API client for system tests and benchmarks: HTTP via fetch, WebSocket via ws.
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  token: string | null = null;
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    urlPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const h: Record<string, string> = { ...headers };
    if (this.token && !h.Authorization) h.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof URLSearchParams || body instanceof FormData || typeof body === 'string')
      payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['Content-Type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}/api/v1${urlPath}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* CSV and other text bodies */
    }
    return { status: res.status, body: parsed as T, headers: res.headers } as ApiResponse<T>;
  }

  async registerAndLogin(email: string, password = 'SecurePass123!') {
    const reg = await this.request('POST', '/auth/register', { email, password });
    if (reg.status !== 201) throw new Error(`register ${reg.status} ${JSON.stringify(reg.body)}`);
    const login = await this.request(
      'POST',
      '/auth/login',
      new URLSearchParams({ username: email, password }),
      { 'Content-Type': 'application/x-www-form-urlencoded' },
    );
    if (login.status !== 200) throw new Error(`login ${login.status} ${JSON.stringify(login.body)}`);
    this.token = login.body.access_token;
    return login.body;
  }

  wsUrl(kind: 'schedule' | 'compare', id: number, token = this.token) {
    return `${this.baseUrl.replace(/^http/, 'ws')}/api/v1/ws/${kind}/${id}?token=${token}`;
  }
}

export interface WsOutcome {
  messages: any[];
  closeCode: number | null;
}

/** Connects and collects messages until the server closes, a final message arrives, or the timeout. */
export function collectWs(url: string, timeoutMs = 60000, protocols?: string[]): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    const messages: any[] = [];
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ messages, closeCode: code });
      ws.terminate();
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      messages.push(msg);
      if (msg.type === 'complete' || msg.type === 'error') setTimeout(() => finish(1000), 50);
    });
    ws.on('close', (code) => finish(code));
    ws.on('error', () => undefined);
  });
}

/** Lots of the reference CSV (`Lot ID,Type,Vials`) as the guide's lot objects. */
export function lotsFromCsv(file: string) {
  const text = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  return text.map((line, i) => {
    const [lot_id, product, vials] = line.split(',');
    return { lot_id, product, quantity: Number(vials), priority: i % 3 };
  });
}

export function sharedPath(...parts: string[]) {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'shared')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'shared', ...parts);
}

export async function waitUntil<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
