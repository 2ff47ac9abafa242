// Fixtures for the search tests: a search through the API once every write so far has reached the
// index (the spine's events drained).
import { expect } from "vitest";
import type { SearchHit } from "../workers/domain/search/query";
import { call, type TestUser } from "./helpers";
import { drainEvents } from "./queue-fixtures";

export type SearchPage = { items: SearchHit[]; nextCursor: string | null };

/** GET /communities/:slug/search?q=… as `as` (null: signed out), expecting 200; `query` adds "&limit=…" etc. */
export async function search(slug: string, q: string, as: TestUser | null, query = ""): Promise<SearchPage> {
  await drainEvents();
  const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}${query}`, { as });
  expect(res.status).toBe(200);
  return res.body as SearchPage;
}

export const titles = (page: { items: SearchHit[] }) => page.items.map((h) => h.title);
