// Chat faults a fresh tester found (issue 12, third pass): floods of changes, sockets that outlive
// their session or their name, a half-applied PATCH, the same heart twice, sockets without bound.
import { describe, expect, it } from "vitest";
import { desc, eq } from "drizzle-orm";
import { addMember, db, expectError, makeCommunity } from "../community-fixtures";
import { call, ORIGIN } from "../helpers";
import { clientId, connected, isAck, isError, makeChat, openSocket } from "../chat-fixtures";
import type { ServerFrame } from "../../durable-objects/protocol";
import { schema } from "../../workers/db/client";

const isRefusal = (f: ServerFrame): f is Extract<ServerFrame, { type: "error" }> => isError(f) && f.code === "rate_limited";

describe("chat: a brake on changes", () => {
  it("refuses a member's 31st reaction, edit or deletion in 10 s (rate_limited with retryAfter) on the socket and over HTTP, and readers stay connected", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const flooder = await addMember(c);
    const reader = await connected(space, c.owner);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: flooder, body: { body: "target" } });
    expect(sent.status).toBe(201);
    const id = sent.body.message.id as string;
    const socket = await connected(space, flooder);
    // thirty changes in three bursts of ten: each burst read (and confirmed) by both sockets before
    // the next, so neither is behind by more than the tests' CHAT_MAX_UNREAD (20) and closed as a
    // slow reader — this test is about the brake, not about readers who fall behind
    for (let burst = 0; burst < 3; burst++) {
      for (let i = burst * 10; i < burst * 10 + 10; i++) socket.send({ type: "react", id, emoji: "🔥", on: i % 2 === 0 });
      await Promise.all([reader.waitForMessages(1 + burst * 10 + 10, 10_000), socket.waitForMessages(burst * 10 + 10, 10_000)]);
    }
    socket.send({ type: "react", id, emoji: "🔥", on: true });
    // generous waits: under a loaded CI machine thirty frames to two sockets can take seconds
    const refused = await socket.next(isRefusal, 10_000);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(10);
    // the same member over HTTP shares the window
    const put = await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("👍")}`, { method: "PUT", as: flooder });
    expectError(put, 429, "rate_limited");
    const patch = await call(`/api/v1/messages/${id}`, { method: "PATCH", as: flooder, body: { body: "edited" } });
    expectError(patch, 429, "rate_limited");
    // thirty changes reached the reader: 15 on and 15 off
    await reader.waitForMessages(31, 10_000);
    const last = reader.messages().at(-1)!;
    expect(last.reactions).toEqual([]);
    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    // another member is not braked by it
    const other = await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("👍")}`, { method: "PUT", as: c.owner });
    expect(other.status).toBe(200);
  });
});

describe("chat: sockets follow the session and the name they were opened with", () => {
  it("signing out closes the sockets that session opened (4403) and leaves the member's other sessions' sockets open", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const login = await call("/api/v1/auth/login", { body: { email: member.email, password: "correct horse battery" }, headers: { "CF-Connecting-IP": `ip-${Date.now()}` } });
    expect(login.status).toBe(200);
    const otherCookie = /enclave_session=[^;]*/.exec(login.headers.get("Set-Cookie") ?? "")![0];
    const signedOut = await connected(space, member);
    const elsewhere = await connected(space, { ...member, cookie: otherCookie });
    expect((await call("/api/v1/auth/logout", { method: "POST", as: member })).status).toBe(204);
    expect(await signedOut.closed).toEqual({ code: 4403, reason: "session_ended" });
    expect(elsewhere.ws.readyState).toBe(WebSocket.OPEN);
    const id = clientId();
    elsewhere.send({ type: "send", clientId: id, body: "still signed in here" });
    expect((await elsewhere.next(isAck(id))).message.body).toBe("still signed in here");
    // the ended session cannot open a socket again
    expect((await openSocket(space, member)).status).toBe(401);
  });

  it("a password reset closes every socket of the member", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const socket = await connected(space, member);
    expect((await call("/api/v1/auth/password-reset", { body: { email: member.email }, headers: { "CF-Connecting-IP": `ip-r-${Date.now()}` } })).status).toBe(202);
    const [mail] = await db().select().from(schema.outbox).where(eq(schema.outbox.toEmail, member.email)).orderBy(desc(schema.outbox.createdAt));
    const token = decodeURIComponent(new RegExp(`${ORIGIN}/reset-password\\?token=([A-Za-z0-9%_-]+)`).exec(mail.text)![1]);
    expect((await call("/api/v1/auth/password-reset/confirm", { body: { token, password: "a brand new secret" } })).status).toBe(204);
    expect((await socket.closed).code).toBe(4403);
  });

  it("a new display name reconnects the member's open sockets (4409), and what they send next carries it", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const socket = await connected(space, member);
    expect((await call("/api/v1/me", { method: "PATCH", as: member, body: { name: "Renamed Person" } })).status).toBe(200);
    expect(await socket.closed).toEqual({ code: 4409, reason: "refresh" });
    const again = await connected(space, member);
    const id = clientId();
    again.send({ type: "send", clientId: id, body: "after the rename" });
    expect((await again.next(isAck(id))).message.author.name).toBe("Renamed Person");
  });
});

describe("chat: requests are applied whole", () => {
  it("a member's PATCH of body and pinned is refused (403) without changing the body", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: member, body: { body: "original" } });
    for (const pinned of [true, false]) {
      const res = await call(`/api/v1/messages/${sent.body.message.id}`, { method: "PATCH", as: member, body: { body: "changed", pinned } });
      expectError(res, 403, "forbidden");
    }
    const now = await call(`/api/v1/messages/${sent.body.message.id}`, { as: member });
    expect(now.body.message.body).toBe("original");
    expect(now.body.message.rev).toBe(sent.body.message.rev);
  });
});

describe("chat: one heart is one reaction", () => {
  it("counts ❤ and ❤️ as the same reaction, stored in its fully-qualified form", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: member, body: { body: "love it" } });
    const id = sent.body.message.id as string;
    expect((await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("❤")}`, { method: "PUT", as: member })).status).toBe(200);
    const res = await call(`/api/v1/messages/${id}/reactions/${encodeURIComponent("❤️")}`, { method: "PUT", as: c.owner });
    expect(res.body.message.reactions).toEqual([{ emoji: "❤️", count: 2, userIds: expect.arrayContaining([member.id, c.owner.id]) }]);
  });
});

describe("chat: sockets per member", () => {
  it("refuses a member's 21st socket to one channel (429) and accepts one again once another closed", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const member = await addMember(c);
    const open = [];
    for (let i = 0; i < 20; i++) open.push(await connected(space, member));
    const refused = await openSocket(space, member);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    open[0].ws.close(1000, "bye");
    await open[0].closed;
    await new Promise((r) => setTimeout(r, 50));
    expect((await openSocket(space, member)).status).toBe(101);
  });
});

describe("chat: a DM socket follows its session too", () => {
  it("signing out closes the DM sockets that session opened (4403)", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const started = await call(`/api/v1/communities/${c.slug}/conversations`, { as: ann, body: { memberIds: [bob.id] } });
    expect(started.status).toBe(201);
    const socket = await connected(started.body.conversation.id, bob);
    expect((await call("/api/v1/auth/logout", { method: "POST", as: bob })).status).toBe(204);
    expect(await socket.closed).toEqual({ code: 4403, reason: "session_ended" });
  });
});
