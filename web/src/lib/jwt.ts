/** Reads (without verifying: only the server can) the claims of a JWT, to learn when it expires. */
export interface JwtClaims {
  exp?: number;
  iat?: number;
  id?: string;
  nickname?: string;
  [key: string]: unknown;
}

function base64UrlDecode(segment: string): string {
  const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** The claims of `token`, or null when it is not a well-formed JWT. */
export function decodeJwt(token: string): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const claims: unknown = JSON.parse(base64UrlDecode(parts[1]));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as JwtClaims) : null;
  } catch {
    return null;
  }
}

/** When the token expires, in milliseconds since the epoch (server clock), or null when it has no `exp`. */
export function tokenExpiryMs(token: string): number | null {
  const exp = decodeJwt(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/** When the token was issued, in milliseconds since the epoch (server clock), or null. */
export function tokenIssuedAtMs(token: string): number | null {
  const iat = decodeJwt(token)?.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : null;
}
