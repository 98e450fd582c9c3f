/**
 * Bearer tokens for the writing endpoints. Both sides are hashed to 32 bytes first, so the
 * constant-time comparison neither leaks the token's length nor throws on unequal lengths.
 */
import { createHash, timingSafeEqual } from 'crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `header` is `Bearer <token>` with the expected token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = digest(m ? m[1] : '');
  const ok = timingSafeEqual(given, digest(token));
  return ok && m !== null;
}
