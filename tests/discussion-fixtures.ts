// Fixtures for the discussion tests: spaces, posts and comments made through the API.
import { expect } from "vitest";
import type { TierKey } from "../workers/db/schema";
import type { TestCommunity } from "./community-fixtures";
import { call, type TestUser } from "./helpers";

export type TestSpace = { id: string; community: TestCommunity };

export async function makeSpace(
  community: TestCommunity,
  opts: { minTier?: TierKey; private?: boolean; memberIds?: string[]; name?: string; as?: TestUser; kind?: "discussion" | "chat" } = {},
): Promise<TestSpace> {
  const res = await call(`/api/v1/communities/${community.slug}/spaces`, {
    as: opts.as ?? community.owner,
    body: {
      name: opts.name ?? "General",
      kind: opts.kind ?? "discussion",
      minTier: opts.minTier ?? "free",
      private: opts.private ?? false,
      memberIds: opts.memberIds,
    },
  });
  expect(res.status).toBe(201);
  return { id: res.body.space.id, community };
}

export async function writePost(space: TestSpace, as: TestUser, body: { title?: string; body?: string } = {}) {
  const res = await call(`/api/v1/spaces/${space.id}/posts`, {
    as,
    body: { title: body.title ?? "Hello", body: body.body ?? "Some **text**" },
  });
  expect(res.status).toBe(201);
  return res.body.post as { id: string; seq: number; title: string };
}

export async function writeComment(postId: string, as: TestUser, body: string, parentId?: string) {
  const res = await call(`/api/v1/posts/${postId}/comments`, { as, body: { body, parentId } });
  expect(res.status).toBe(201);
  return res.body.comment as { id: string; seq: number; depth: number };
}

export const feed = (spaceId: string, as: TestUser | null, query = "") => call(`/api/v1/spaces/${spaceId}/posts${query}`, { as });
