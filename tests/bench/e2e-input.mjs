// What the two end-to-end benches (e2e.mjs, e2e-hops.mjs) share: the 15-lot input they schedule and
// the client's login, so both time the same request.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `../shared/data/lots/lots.csv` (15 lots) as the API's `lots_data`. */
const lotsCsv = path.resolve(here, '../../../shared/data/lots/lots.csv');
export const benchLots = () =>
  fs
    .readFileSync(lotsCsv, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => {
      const [lot_id, product, vials] = l.split(',');
      return { lot_id, product, quantity: Number(vials) };
    });

/** Registers `email` (already registered is fine) and logs in; resolves with the access token. */
export async function login(base, email) {
  const password = 'SecurePass123!';
  await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }),
  });
  return (await res.json()).access_token;
}
