// Opaque ids: a short type prefix and 16 bytes in base32 (lower case, URL-safe), random or derived.
const alphabet = "abcdefghijklmnopqrstuvwxyz234567";

function base32(data: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function randomToken(bytes = 16): string {
  return base32(crypto.getRandomValues(new Uint8Array(bytes)));
}

export const newId = (prefix: string) => `${prefix}_${randomToken(16)}`;

/**
 * The same id every time for the same prefix and seed, shaped like newId's (`prefix_` + 26
 * base32 characters): the first 16 bytes of SHA-256(prefix, seed). A create retried under one
 * Idempotency-Key claim gets its id this way, so a second insert meets the first row (ADR 012).
 */
export async function derivedId(prefix: string, seed: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${prefix}\n${seed}`));
  return `${prefix}_${base32(new Uint8Array(digest).subarray(0, 16))}`;
}
