// Cursors are opaque to clients: base64url of a small JSON value (e.g. [sortKey, id]). The API's
// list routes and the pages that call the same use cases read and write them here.
import type { ZodType } from "zod";
import { badRequest } from "./errors";

/** `value` as JSON, UTF-8, in base64url without padding (RFC 4648 §5); any text (a CJK name) encodes. */
export function encodeCursor(value: unknown): string {
  // btoa takes Latin-1 only: the JSON's UTF-8 bytes go through it one byte a character
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The value `cursor` encodes, checked against `shape`; undefined for no cursor; 400 invalid_cursor otherwise. */
export function decodeCursor<T>(cursor: string | null | undefined, shape: ZodType<T>): T | undefined {
  if (!cursor) return undefined;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const json = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const parsed = shape.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the same error as a wrong shape
  }
  throw badRequest("The cursor is not valid.", { issues: [{ path: "cursor", message: "Invalid cursor", code: "invalid_cursor" }] });
}
