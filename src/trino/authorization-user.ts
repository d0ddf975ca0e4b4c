/**
 * The user an `Authorization` header names, for routing only: Trino authenticates, the router
 * just reads who claims to be asking.
 *   - `Basic base64(user:password)`: decoded as Trino's BasicAuthCredentials does (strict
 *     base64, ISO-8859-1 text, user up to the first `:`); the password is never turned into
 *     a string and the decoded bytes are zeroed.
 *   - `Bearer <JWT>`: the payload's claim (default `sub`, as Trino's JWT authenticator's
 *     principal field), WITHOUT verifying the signature.
 * Anything malformed yields no user; nothing here throws.
 */

export type AuthorizationScheme = 'basic' | 'bearer';

export interface AuthorizationUser {
  readonly user: string;
  readonly scheme: AuthorizationScheme;
}

const BASE64 = 0;
const BASE64URL = 1;
type Base64Alphabet = typeof BASE64 | typeof BASE64URL;

/** Character classes by code: 1 = in both alphabets, 2 = base64 only, 3 = base64url only. */
const BASE64_CLASS = new Uint8Array(128);
for (let c = 0x41; c <= 0x5a; c++) BASE64_CLASS[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) BASE64_CLASS[c] = 1;
for (let c = 0x30; c <= 0x39; c++) BASE64_CLASS[c] = 1;
BASE64_CLASS[0x2b] = 2; // +
BASE64_CLASS[0x2f] = 2; // /
BASE64_CLASS[0x2d] = 3; // -
BASE64_CLASS[0x5f] = 3; // _

/**
 * True when s[from, to) is base64 in the given alphabet as Java's strict decoders accept it:
 * padding optional, but when present it must complete the last quantum.
 */
function isBase64(s: string, from: number, to: number, alphabet: Base64Alphabet): boolean {
  let end = to;
  let padding = 0;
  while (end > from && padding < 2 && s.charCodeAt(end - 1) === 0x3d) {
    end--;
    padding++;
  }
  const length = end - from;
  if (length % 4 === 1) return false;
  if (padding > 0 && (length + padding) % 4 !== 0) return false;
  const other = alphabet === BASE64 ? 3 : 2;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return false;
    const cls = BASE64_CLASS[c]!;
    if (cls === 0 || cls === other) return false;
  }
  return true;
}

/** The user of `Basic` credentials (the base64 part), or undefined. */
export function basicCredentialsUser(credentials: string): string | undefined {
  if (credentials.length === 0 || !isBase64(credentials, 0, credentials.length, BASE64)) return undefined;
  const bytes = Buffer.from(credentials, 'base64');
  const colon = bytes.indexOf(0x3a);
  const user = bytes.toString('latin1', 0, colon < 0 ? bytes.length : colon);
  bytes.fill(0);
  return user.length > 0 ? user : undefined;
}

/** A string claim of an unverified JWT (`header.payload.signature`), or undefined. */
export function unverifiedJwtClaim(token: string, claim: string): string | undefined {
  const firstDot = token.indexOf('.');
  if (firstDot <= 0) return undefined;
  const secondDot = token.indexOf('.', firstDot + 1);
  if (secondDot < 0 || secondDot === firstDot + 1 || token.indexOf('.', secondDot + 1) >= 0) return undefined;
  if (!isBase64(token, firstDot + 1, secondDot, BASE64URL)) return undefined;
  const payload = Buffer.from(token.slice(firstDot + 1, secondDot), 'base64url').toString('utf8');
  if (!payload.trimStart().startsWith('{')) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || !Object.hasOwn(claims, claim)) return undefined;
  const value: unknown = (claims as Record<string, unknown>)[claim];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The user named by an `Authorization` header value, or undefined. */
export function authorizationUser(value: string, jwtUserClaim: string): AuthorizationUser | undefined {
  // As Trino: the scheme runs to the first space and is case-insensitive; the rest is trimmed.
  const space = value.indexOf(' ');
  if (space !== 5 && space !== 6) return undefined; // neither "basic" nor "bearer"
  const scheme = value.slice(0, space).toLowerCase();
  if (scheme === 'basic') {
    const user = basicCredentialsUser(value.slice(space + 1).trim());
    return user === undefined ? undefined : { user, scheme: 'basic' };
  }
  if (scheme === 'bearer') {
    const user = unverifiedJwtClaim(value.slice(space + 1).trim(), jwtUserClaim);
    return user === undefined ? undefined : { user, scheme: 'bearer' };
  }
  return undefined;
}
