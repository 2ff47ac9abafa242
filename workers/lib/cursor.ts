// Cursors are opaque to clients: base64url of a small JSON value (e.g. [sortKey, id]). The API's
// list routes and the pages that call the same use cases read and write them here.
import type { ZodType } from "zod";
import { badRequest } from "./errors";

/** `value` as JSON in base64url without padding (RFC 4648 §5). */
export function encodeCursor(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The value `cursor` encodes, checked against `shape`; undefined for no cursor; 400 invalid_cursor otherwise. */
export function decodeCursor<T>(cursor: string | null | undefined, shape: ZodType<T>): T | undefined {
  if (!cursor) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const parsed = shape.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the same error as a wrong shape
  }
  throw badRequest("The cursor is not valid.", { issues: [{ path: "cursor", message: "Invalid cursor", code: "invalid_cursor" }] });
}
