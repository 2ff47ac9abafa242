// Keyset paging shared by list routes: the cursor is an opaque encoding of [epoch ms, id].
import { z } from "@hono/zod-openapi";
import type { Page, PageRequest } from "../domain/communities/types";
import { decodeCursor, encodeCursor } from "./schemas/common";

const PageKeyShape = z.tuple([z.number().int(), z.string()]);

export function pageRequest(query: { limit: number; cursor?: string }): PageRequest {
  return { limit: query.limit, after: decodeCursor(query.cursor, PageKeyShape) };
}

export function pageResponse<T>(page: Page<T>): { items: T[]; nextCursor: string | null } {
  return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
}
