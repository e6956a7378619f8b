import { useEffect } from 'react';
import type { LiveMessage, LiveUpdates, RunKind } from './live';

export const ACTIVE_POLL_MS = 3000;

/**
 * Follows an active run: live messages, and a re-read every few seconds as a safety net (a final
 * message can reach the page before the owner service shows the run as ended, and a socket can
 * drop). `reread` is called on every final message and poll; stops when `active` turns false.
 */
export function useFollowRun(
  live: LiveUpdates,
  kind: RunKind,
  id: number,
  active: boolean,
  onProgress: (m: Extract<LiveMessage, { type: 'progress' }>) => void,
  reread: () => void,
): void {
  useEffect(() => {
    if (!active) return;
    const stop = live.watch(kind, id, (m) => (m.type === 'progress' ? onProgress(m) : reread()));
    const poll = setInterval(reread, ACTIVE_POLL_MS);
    return () => {
      stop();
      clearInterval(poll);
    };
    // onProgress/reread are state setters wrapped per render; following restarts only with the run.
  }, [live, kind, id, active]);
}
