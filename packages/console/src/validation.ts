/**
 * The CSV row a validation message is about: `lots_data[2].vials: …` → line 4 (lot index + header
 * + 1), or a message naming `lot A7` → that lot's line. null when it names no lot.
 */
export function rowOf(message: string, lotIds: readonly unknown[]): number | null {
  const indexed = /lots_data\[(\d+)\]/.exec(message);
  if (indexed) return Number(indexed[1]) + 2;
  for (const m of message.matchAll(/\blot '?([^\s,:;']+)'?/gi)) {
    const i = lotIds.indexOf(m[1]);
    if (i >= 0) return i + 2;
  }
  return null;
}
