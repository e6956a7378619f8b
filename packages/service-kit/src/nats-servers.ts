/**
 * The server list of `NATS_URL`: one URL or several separated by commas (a cluster), blanks
 * dropped. The client connects to any answering member and fails over to the others.
 */
export function parseNatsServers(value: string | readonly string[]): string[] {
  const parts = typeof value === 'string' ? value.split(',') : [...value];
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}
