// A link to one chat message (a search hit, a notification: `/c/<slug>/s/<space>?seq=N#msg-N`)
// opens the chat page around that message, not at the newest 50 where an older one is missing:
// 25 before and after it, with cursors to load older and newer from there, and the head the
// socket resumes from.
import { describe, expect, it } from "vitest";
import { loader } from "../../app/routes/community-space";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeChat } from "../chat-fixtures";
import { call } from "../helpers";
import { loadPage, statusOf, type Loader } from "../page-fixtures";
import type { ChatPage } from "../../app/lib/chat.server";
import type { TestSpace } from "../discussion-fixtures";

const pageOf = (answer: unknown) => (answer as { chat: ChatPage | null }).chat!;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** 80 messages "m1" … "m80" (seq 1 … 80): eight members send ten each, under the channel's flood brake of 10 in 10 s. */
async function eightyMessages(c: TestCommunity, space: TestSpace) {
  const senders = await Promise.all(range(1, 8).map(() => addMember(c)));
  for (const n of range(1, 80)) {
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: senders[Math.floor((n - 1) / 10)], body: { body: `m${n}` } });
    expect(res.status).toBe(201);
  }
  return senders[0];
}

describe("chat page opened at a linked message", () => {
  it("loads the 25 before and after the linked seq, with cursors both ways and the channel's head to resume from", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const reader = await eightyMessages(c, space);
    const params = { slug: c.slug, spaceId: space.id };
    const open = async (query: string) => pageOf(await loadPage(loader as unknown as Loader, `/c/${c.slug}/s/${space.id}${query}`, params, reader)).history;

    // the tester's case: the 10th of 80 is not among the newest 50, and is here now
    const tenth = await open("?seq=10");
    expect(tenth.items.map((m) => m.seq)).toEqual(range(1, 35));
    expect(tenth.items.find((m) => m.seq === 10)!.body).toBe("m10");
    expect(tenth).toMatchObject({ focusSeq: 10, nextCursor: null, newerCursor: "35", head: 80 });

    const middle = await open("?seq=50");
    expect(middle.items.map((m) => m.seq)).toEqual(range(25, 75));
    expect(middle).toMatchObject({ focusSeq: 50, nextCursor: "25", newerCursor: "75", head: 80 });

    // near the newest end there is nothing newer to load: live messages append as usual
    const last = await open("?seq=70");
    expect(last.items.map((m) => m.seq)).toEqual(range(45, 80));
    expect(last.newerCursor).toBeNull();

    // without a link: the newest 50, as before
    const newest = await open("");
    expect(newest.items.map((m) => m.seq)).toEqual(range(31, 80));
    expect(newest.newerCursor).toBeUndefined();
    expect(newest.focusSeq).toBeUndefined();

    // a seq past the newest message shows the newest, with nothing newer
    const past = await open("?seq=9999");
    expect(past.items.map((m) => m.seq)).toEqual(range(55, 80));
    expect(past.newerCursor).toBeNull();

    // the next newer page from the window's cursor is the API's `after` page, continuing where it ended
    const newer = await call(`/api/v1/spaces/${space.id}/messages?after=${tenth.newerCursor}&limit=50`, { as: reader });
    expect(newer.body.items.map((m: { seq: number }) => m.seq)).toEqual(range(36, 80));
    expect(newer.body.nextCursor).toBeNull();
  });

  it("answers a malformed ?seq= with a 400 page, as a malformed cursor", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const params = { slug: c.slug, spaceId: space.id };
    for (const bad of ["abc", "0", "-3", "1.5", "1e3", "99999999999999999999"]) {
      const answer = await loadPage(loader as unknown as Loader, `/c/${c.slug}/s/${space.id}?seq=${bad}`, params, c.owner);
      expect(statusOf(answer), bad).toBe(400);
    }
  });
});
