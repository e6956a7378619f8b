// The password policy of register (and of the bootstrap superuser): long enough, not one of the
// most used passwords (also not one with only digits or symbols appended), not containing the
// e-mail address. Each rule that fails is one entry of the 422 detail, so the client sees why.
import type { ErrorDetailItem } from '@fillsched/contracts';
import { PASSWORD_MIN_LENGTH } from '@fillsched/contracts';
import common from './data/common-passwords.json';

const COMMON = new Set(common.passwords.map((p) => p.toLowerCase()));
/** A trailing run of digits and symbols, as in `Password2024!`. */
const SUFFIX = /[\d\W_]+$/;
const MIN_DISTINCT = 4;

export const POLICY_MESSAGES = {
  length: `Password must be at least ${PASSWORD_MIN_LENGTH} characters`,
  common: 'Password is too common: it is one of the most used passwords',
  commonWithSuffix: 'Password is too common: a most used password with digits or symbols appended',
  email: 'Password must not contain your e-mail address or its name part',
  distinct: `Password must contain at least ${MIN_DISTINCT} different characters`,
} as const;

/** The policy's failures for this password and e-mail, as 422 detail items (empty: acceptable). */
export function passwordProblems(password: string, email: string): ErrorDetailItem[] {
  const msgs: string[] = [];
  const lower = password.toLowerCase();
  if ([...password].length < PASSWORD_MIN_LENGTH) msgs.push(POLICY_MESSAGES.length);
  if (COMMON.has(lower)) msgs.push(POLICY_MESSAGES.common);
  else {
    const stem = lower.replace(SUFFIX, '');
    if (stem !== lower && COMMON.has(stem)) msgs.push(POLICY_MESSAGES.commonWithSuffix);
  }
  const address = email.trim().toLowerCase();
  const local = address.split('@')[0] ?? '';
  if (lower.includes(address) || (local.length >= 4 && lower.includes(local)))
    msgs.push(POLICY_MESSAGES.email);
  if (new Set(password).size < MIN_DISTINCT) msgs.push(POLICY_MESSAGES.distinct);
  return msgs.map((msg) => ({ loc: ['body', 'password'], msg, type: 'value_error.password_policy' }));
}
