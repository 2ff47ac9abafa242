// Opaque ids: a short type prefix and 16 random bytes in base32 (lower case, URL-safe).
const alphabet = "abcdefghijklmnopqrstuvwxyz234567";

export function randomToken(bytes = 16): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
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

export const newId = (prefix: string) => `${prefix}_${randomToken(16)}`;
