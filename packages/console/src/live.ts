/**
 * Live updates for the console, behind one small interface so that the transport can change:
 * today one WebSocket per running schedule or comparison (`/api/v1/ws/{kind}/{id}`); when the
 * gateway offers a multiplexed `user` channel, only this module changes.
 */
import type { ApiClient } from './api';

export type RunKind = 'schedule' | 'comparison';

/** The guide's WebSocket messages (gateway → client). */
export type LiveMessage =
  | {
      type: 'progress';
      step: string;
      progress: number;
      message: string;
      best_makespan?: number | null;
      lower_bound?: number | null;
      strategy?: string;
    }
  | { type: 'complete'; progress: 100; message: string; result: Record<string, unknown> }
  | { type: 'error'; code: string; message: string };

export interface LiveUpdates {
  /** Follows one run until its final message; returns a function that stops following. */
  watch(kind: RunKind, id: number, onMessage: (m: LiveMessage) => void): () => void;
}

function wsUrl(kind: RunKind, id: number): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // The gateway's paths: /ws/schedule/{id} and /ws/compare/{id}.
  return `${proto}//${location.host}/api/v1/ws/${kind === 'schedule' ? 'schedule' : 'compare'}/${id}`;
}

/** One socket per run; the token goes in the first message (never in the URL, which gets logged). */
export function perRunSockets(api: ApiClient): LiveUpdates {
  return {
    watch(kind, id, onMessage) {
      let stopped = false;
      let socket: WebSocket | null = null;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let attempts = 0;
      const open = () => {
        if (stopped) return;
        const ws = new WebSocket(wsUrl(kind, id));
        socket = ws;
        let final = false;
        ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: api.accessToken }));
        ws.onmessage = (ev) => {
          attempts = 0;
          const m = JSON.parse(String(ev.data)) as LiveMessage | { type: 'pong' };
          if (m.type === 'complete' || m.type === 'error') final = true;
          if (m.type === 'progress' || m.type === 'complete' || m.type === 'error') onMessage(m);
        };
        ws.onclose = (ev) => {
          // 1008: the token expired; refresh and reconnect. Other abnormal ends: back off and retry.
          if (stopped || final || ev.code === 1000 || ev.code === 4404) return;
          attempts++;
          const again = () => (retry = setTimeout(open, Math.min(500 * 2 ** attempts, 10_000)));
          if (ev.code === 1008) void api.refresh().then((ok) => ok && again());
          else again();
        };
      };
      open();
      return () => {
        stopped = true;
        clearTimeout(retry);
        socket?.close(1000);
      };
    },
  };
}
