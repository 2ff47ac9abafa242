import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { addMember, db, env, expectError, makeCommunity } from "../community-fixtures";
import { call, createUser } from "../helpers";
import { clientId, connected, isAck, isError, makeChat, openSocket } from "../chat-fixtures";
import type { ServerFrame } from "../../durable-objects/protocol";
import { channelStub } from "../../workers/domain/chat/channels";
import { schema } from "../../workers/db/client";
import { png, postUpload } from "../upload-fixtures";
import { drainEvents } from "../queue-fixtures";

describe("chat channel: live messages", () => {
  it("broadcasts a sent message to every socket in order, acknowledges it to the sender, and stores it", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const a = await connected(space, c.owner);
    const b = await connected(space, bob);
    const ids = [clientId(), clientId(), clientId()];
    for (const [i, id] of ids.entries()) a.send({ type: "send", clientId: id, body: `hello ${i}` });
    const ack = await a.next(isAck(ids[2]));
    expect(ack.message.body).toBe("hello 2");
    const seen = await b.waitForMessages(3);
    expect(seen.map((m) => m.body)).toEqual(["hello 0", "hello 1", "hello 2"]);
    expect(seen.map((m) => m.seq)).toEqual([...seen.map((m) => m.seq)].sort((x, y) => x - y));
    expect(seen[0].author).toEqual({ id: c.owner.id, name: c.owner.name });
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob });
    expect(history.status).toBe(200);
    expect(history.body.items.map((m: { body: string }) => m.body)).toEqual(["hello 0", "hello 1", "hello 2"]);
  });

  it("delivers a message posted over HTTP to the sockets", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const b = await connected(space, c.owner);
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "**over http**" } });
    expect(res.status).toBe(201);
    expect(res.body.message.html).toBe("<p><strong>over http</strong></p>");
    const [live] = await b.waitForMessages(1);
    expect(live.id).toBe(res.body.message.id);
  });

  it("stores a message resent with the same client id once, over the socket and over HTTP", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const a = await connected(space, c.owner);
    const id = clientId();
    a.send({ type: "send", clientId: id, body: "once" });
    a.send({ type: "send", clientId: id, body: "once" });
    await a.next(isAck(id));
    const again = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "once", clientId: id } });
    expect(again.status).toBe(200);
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner });
    expect(history.body.items).toHaveLength(1);
    expect(again.body.message.id).toBe(history.body.items[0].id);
  });

  it("resumes with ?after=<rev>: exactly the messages and changes missed, in order, without duplicates", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: `m${i}` } });
      sent.push(res.body.message.id);
    }
    const head = (await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner })).body.head;
    // missed while away: two new messages and an edit of an old one
    await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "m3" } });
    await call(`/api/v1/messages/${sent[0]}`, { as: c.owner, method: "PATCH", body: { body: "m0 edited" } });
    await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "m4" } });
    const back = await connected(space, c.owner, { after: head });
    const got = await back.waitForMessages(3);
    expect(got.map((m) => m.body)).toEqual(["m3", "m0 edited", "m4"]);
    expect(got.map((m) => m.rev)).toEqual([head + 1, head + 2, head + 3]);
    await new Promise((r) => setTimeout(r, 100));
    expect(back.messages().map((m) => m.body)).toEqual(["m3", "m0 edited", "m4"]);
  });

  it("answers ?after= past the channel's head: 400 over HTTP; on the socket a resume from the head and resume_too_far", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    for (let i = 0; i < 2; i++) await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: `m${i}` } });
    const head = (await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner })).body.head;
    expect(head).toBe(2);
    const past = await call(`/api/v1/spaces/${space.id}/messages?after=${head + 5}`, { as: c.owner });
    expectError(past, 400, "validation_failed");
    expect(past.body.error.issues).toEqual([expect.objectContaining({ path: "after", code: "invalid_cursor" })]);
    const atHead = await call(`/api/v1/spaces/${space.id}/messages?after=${head}`, { as: c.owner });
    expect(atHead.status).toBe(200);
    expect(atHead.body.items).toEqual([]);
    const s = await connected(space, c.owner, { after: head + 5 });
    expect(await s.next(isError)).toMatchObject({ code: "resume_too_far" });
    // nothing replayed; what comes next arrives live, from the head on
    await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "next" } });
    const got = await s.waitForMessages(1);
    expect(got.map((m) => [m.body, m.rev])).toEqual([["next", head + 1]]);
  });

  it("replays a resume of up to maxUnread changes, and answers a longer one with resume_too_far instead of a replay it would be cut off for", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const mod = await addMember(c, { role: "moderator" });
    const third = await addMember(c, { role: "moderator" });
    const senders = [c.owner, mod, third];
    // CHAT_MAX_UNREAD is 20 in the tests
    for (let i = 0; i < 22; i++) await call(`/api/v1/spaces/${space.id}/messages`, { as: senders[i % 3], body: { body: `r${i}` } });
    const near = await connected(space, c.owner, { after: 2 });
    expect((await near.waitForMessages(20)).map((m) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i + 2}`));
    const far = await connected(space, c.owner, { after: 1 });
    expect(await far.next(isError)).toMatchObject({ code: "resume_too_far" });
    expect(far.messages()).toEqual([]);
  });

  it("keeps history, identity and sockets across hibernation (eviction)", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const a = await connected(space, c.owner);
    const b = await connected(space, bob);
    a.send({ type: "send", clientId: clientId(), body: "before" });
    await b.waitForMessages(1);
    await evictDurableObject(channelStub(env, space.id) as never);
    const id = clientId();
    b.send({ type: "send", clientId: id, body: "after" });
    const ack = await b.next(isAck(id));
    // the object rebuilt from the attachment still knows who bob is
    expect(ack.message.author.id).toBe(bob.id);
    const all = await a.waitForMessages(2);
    expect(all.map((m) => m.body)).toEqual(["before", "after"]);
    expect(all[1].seq).toBeGreaterThan(all[0].seq);
  });

  it("after a wake, a broadcast reaches the sockets from before and one opened since, and none that closed since", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const carol = await addMember(c);
    const a = await connected(space, c.owner);
    const b = await connected(space, bob);
    await evictDurableObject(channelStub(env, space.id) as never);
    // the new instance learns its sockets from the runtime once, then keeps the list by accept and close
    const late = await connected(space, carol);
    a.ws.close(1000, "bye");
    await a.closed;
    b.send({ type: "send", clientId: clientId(), body: "after the wake" });
    expect((await late.waitForMessages(1)).map((m) => m.body)).toEqual(["after the wake"]);
    expect((await b.waitForMessages(1)).map((m) => m.body)).toEqual(["after the wake"]);
    // the closed socket got nothing after it closed, and the object did not fail sending to it
    expect(a.messages()).toEqual([]);
    const again = clientId();
    late.send({ type: "send", clientId: again, body: "still here" });
    expect((await late.next(isAck(again))).message.body).toBe("still here");
    expect((await b.waitForMessages(2)).map((m) => m.body)).toEqual(["after the wake", "still here"]);
  });

  it("forwards the outbox to the spine even when the object is evicted between the write and the alarm", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "to the spine" } });
    const stub = channelStub(env, space.id);
    await evictDurableObject(stub as never, { webSockets: "close" });
    await runDurableObjectAlarm(stub as never);
    // a plain message in a space: the forward's chat.activity (subject the space) and its search indexing
    const ofSpace = () =>
      db()
        .select()
        .from(schema.domainEvents)
        .where(and(eq(schema.domainEvents.subjectType, "space"), eq(schema.domainEvents.subjectId, space.id), inArray(schema.domainEvents.kind, ["chat.activity", "chat.indexed"])));
    expect((await ofSpace()).map((e) => e.kind).sort()).toEqual(["chat.activity", "chat.indexed"]);
    const authors = await db().select().from(schema.chatAuthors).where(eq(schema.chatAuthors.channelId, space.id));
    expect(authors.map((a) => a.userId)).toEqual([c.owner.id]);
    // a second run (an alarm may fire twice) writes nothing twice
    await runDurableObjectAlarm(stub as never);
    expect(await ofSpace()).toHaveLength(2);
  });
});

describe("chat channel: an outbox row D1 refuses for good", () => {
  it("a made-up mention token (<@usr_…> of no account) is forwarded like any message: the next mention notifies and search finds it", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const ghost = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "ghost <@usr_doesnotexist>" } });
    expect(ghost.status).toBe(201);
    const real = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: `after ghost <@${bob.id}> uniqafter` } });
    expect(real.status).toBe(201);
    await runDurableObjectAlarm(channelStub(env, space.id) as never);
    await drainEvents();
    const outbox = await runInDurableObject(channelStub(env, space.id) as never, async (_: unknown, state: DurableObjectState) => state.storage.sql.exec("SELECT count(*) AS n FROM outbox").one().n);
    expect(outbox).toBe(0);
    const told = await db().select().from(schema.notifications).where(eq(schema.notifications.userId, bob.id));
    expect(told.map((n) => n.kind)).toEqual(["mention"]);
    const found = await call(`/api/v1/communities/${c.slug}/search?q=uniqafter`, { as: c.owner });
    expect(found.body.items.map((h: { id: string }) => h.id)).toContain(real.body.message.id);
  });

  it("goes one row at a time after repeated failures and drops a row refused for a constraint, so the rows behind it are forwarded", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const stub = channelStub(env, space.id);
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "first" } })).status).toBe(201);
    // a row no forward can write (chat_authors needs an account that exists), ahead of a good one
    await runInDurableObject(stub as never, async (_: unknown, state: DurableObjectState) => {
      state.storage.sql.exec("DELETE FROM outbox");
      state.storage.sql.exec("INSERT INTO outbox (kind, payload, created_at) VALUES ('message.created', ?, ?)", JSON.stringify({ seq: 1, authorId: "usr_no_such_account", mentions: false }), Date.now());
    });
    const good = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "behind the bad row" } });
    const left = () => runInDurableObject(stub as never, async (_: unknown, state: DurableObjectState) => state.storage.sql.exec("SELECT count(*) AS n FROM outbox").one().n as number);
    for (let run = 0; run < 10 && (await left()) > 0; run++) await runDurableObjectAlarm(stub as never);
    expect(await left()).toBe(0);
    const events = await db().select().from(schema.domainEvents).where(and(eq(schema.domainEvents.subjectId, space.id), eq(schema.domainEvents.kind, "chat.indexed")));
    expect(events.some((e) => JSON.stringify(e.payload).includes(`"seqs":[${good.body.message.seq}]`))).toBe(true);
  });
});

describe("chat channel: who may connect", () => {
  it("answers an upgrade from a non-member 404 (as for a made-up space), signed out 401, cross-site 403", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const stranger = await createUser();
    const asStranger = await openSocket(space, stranger);
    const madeUp = await openSocket("spc_doesnotexist000000000000", stranger);
    expect(asStranger.status).toBe(404);
    expect(madeUp.status).toBe(404);
    expect(asStranger.body).toEqual(madeUp.body);
    expect((await openSocket(space, null)).status).toBe(401);
    expect((await openSocket(space, c.owner, { origin: "https://evil.example" })).status).toBe(403);
    expect((await openSocket(space, c.owner, { origin: null })).status).toBe(403);
  });

  it("ignores identity headers the client sends", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const s = await connected(space, bob, { headers: { "x-enclave-user-id": c.owner.id, "x-enclave-role": "owner" } });
    const id = clientId();
    s.send({ type: "send", clientId: id, body: "who am I" });
    expect((await s.next(isAck(id))).message.author.id).toBe(bob.id);
  });

  it("closes a removed member's sockets within a second and refuses them afterwards", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const s = await connected(space, bob);
    const started = Date.now();
    const removed = await call(`/api/v1/communities/${c.slug}/members/${bob.id}`, { as: c.owner, method: "DELETE" });
    expect(removed.status).toBe(204);
    const closed = await s.closed;
    expect(closed.code).toBe(4403);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await openSocket(space, bob)).status).toBe(404);
    const post = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "still here?" } });
    expect(post.status).toBe(404);
  });

  it("closes the sockets of a member who falls below the space's tier; tier_required afterwards", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c, { minTier: "vip" });
    const vip = await addMember(c, { paidTier: "vip" });
    const s = await connected(space, vip);
    await db().update(schema.memberships).set({ paidTier: "free" }).where(and(eq(schema.memberships.userId, vip.id), eq(schema.memberships.communityId, c.id)));
    // the comp-tier route goes through the access module like every tier change
    const res = await call(`/api/v1/communities/${c.slug}/members/${vip.id}`, { as: c.owner, method: "PATCH", body: { compTier: "free" } });
    expect(res.status).toBe(200);
    expect((await s.closed).code).toBe(4403);
    const again = await openSocket(space, vip);
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe("tier_required");
  });
});

describe("chat channel: bad input and limits", () => {
  it("answers malformed and unknown frames with an error frame and keeps serving", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const s = await connected(space, c.owner);
    s.send("not json");
    s.send({ type: "teleport" });
    s.send({ type: "send", clientId: "x", body: "bad client id" });
    await s.next((f): f is never => s.frames.filter(isError).length >= 3);
    expect(s.frames.filter(isError).map((f) => f.code)).toEqual(["validation_failed", "validation_failed", "validation_failed"]);
    const id = clientId();
    s.send({ type: "send", clientId: id, body: "still fine" });
    expect((await s.next(isAck(id))).message.body).toBe("still fine");
  });

  it("refuses a body over 4,000 characters: 413 over HTTP, an error frame on the socket", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "字".repeat(4_001) } });
    expectError(res, 413, "too_large");
    // far over too (200,000 characters, within the request's byte limit): the same 413, not a 400
    expectError(await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "x".repeat(200_000) } }), 413, "too_large");
    const mine = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "short" } });
    expectError(await call(`/api/v1/messages/${mine.body.message.id}`, { as: c.owner, method: "PATCH", body: { body: "x".repeat(200_000) } }), 413, "too_large");
    const ok = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "😀".repeat(4_000) } });
    expect(ok.status).toBe(201);
    const s = await connected(space, c.owner);
    const id = clientId();
    s.send({ type: "send", clientId: id, body: "x".repeat(4_001) });
    const err = await s.next(isError);
    expect(err).toMatchObject({ code: "too_large", clientId: id });
  });

  it("limits a member to 10 messages in 10 seconds: 429 with Retry-After", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    for (let i = 0; i < 10; i++) expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: `n${i}` } })).status).toBe(201);
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "one too many" } });
    expectError(res, 429, "rate_limited");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  });

  it("slow mode holds members (not moderators) to one message per interval", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    expectError(await call(`/api/v1/spaces/${space.id}/chat`, { as: bob, method: "PATCH", body: { slowModeSeconds: 30 } }), 403, "forbidden");
    const set = await call(`/api/v1/spaces/${space.id}/chat`, { as: mod, method: "PATCH", body: { slowModeSeconds: 30 } });
    expect(set.body).toEqual({ slowModeSeconds: 30 });
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "first" } })).status).toBe(201);
    const second = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "second" } });
    expectError(second, 429, "rate_limited");
    expect(Number(second.headers.get("Retry-After"))).toBeGreaterThan(25);
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: mod, body: { body: "m1" } })).status).toBe(201);
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: mod, body: { body: "m2" } })).status).toBe(201);
  });

  it("reaches a message by its id alone, and answers 404 for another community's member", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "find me" } });
    const got = await call(`/api/v1/messages/${sent.body.message.id}`, { as: c.owner });
    expect(got.body.message.body).toBe("find me");
    const other = await createUser();
    expectError(await call(`/api/v1/messages/${sent.body.message.id}`, { as: other }), 404, "not_found");
    expectError(await call(`/api/v1/messages/${sent.body.message.id}`, { as: other, method: "DELETE" }), 404, "not_found");
    expectError(await call(`/api/v1/messages/msg_1_spc_nope`, { as: c.owner }), 404, "not_found");
    // signed out, a write answers 401 whatever the id looks like
    expectError(await call(`/api/v1/messages/msg_zzzz`, { as: null, method: "DELETE" }), 401, "unauthenticated");
    expectError(await call(`/api/v1/messages/${sent.body.message.id}`, { as: null, method: "DELETE" }), 401, "unauthenticated");
  });
});

describe("chat channel: changes to messages", () => {
  it("lets the author edit and delete, a moderator delete and pin, and nobody else", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const eve = await addMember(c);
    const mod = await addMember(c, { role: "moderator" });
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "typo" } });
    const id = sent.body.message.id;
    expectError(await call(`/api/v1/messages/${id}`, { as: eve, method: "PATCH", body: { body: "hijack" } }), 403, "forbidden");
    expectError(await call(`/api/v1/messages/${id}`, { as: eve, method: "DELETE" }), 403, "forbidden");
    expectError(await call(`/api/v1/messages/${id}`, { as: bob, method: "PATCH", body: { pinned: true } }), 403, "forbidden");
    const edited = await call(`/api/v1/messages/${id}`, { as: bob, method: "PATCH", body: { body: "fixed" } });
    expect(edited.body.message).toMatchObject({ body: "fixed", html: "<p>fixed</p>" });
    expect(edited.body.message.editedAt).not.toBeNull();
    const pinned = await call(`/api/v1/messages/${id}`, { as: mod, method: "PATCH", body: { pinned: true } });
    expect(pinned.body.message.pinned).toBe(true);
    expect((await call(`/api/v1/spaces/${space.id}/messages`, { as: eve })).body.pinned.map((m: { id: string }) => m.id)).toEqual([id]);
    expect((await call(`/api/v1/messages/${id}`, { as: mod, method: "DELETE" })).status).toBe(204);
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: eve });
    expect(history.body.items[0]).toMatchObject({ id, deleted: true, body: "", html: "", pinned: false });
    expectError(await call(`/api/v1/messages/${id}`, { as: eve }), 404, "not_found");
  });

  it("counts reactions per emoji, idempotently, and refuses what is not one emoji", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "react to me" } });
    const path = (emoji: string) => `/api/v1/messages/${sent.body.message.id}/reactions/${encodeURIComponent(emoji)}`;
    await call(path("👍"), { as: bob, method: "PUT" });
    await call(path("👍"), { as: bob, method: "PUT" });
    const both = await call(path("👍"), { as: c.owner, method: "PUT" });
    expect(both.body.message.reactions).toEqual([{ emoji: "👍", count: 2, userIds: [bob.id, c.owner.id] }]);
    const off = await call(path("👍"), { as: bob, method: "DELETE" });
    expect(off.body.message.reactions).toEqual([{ emoji: "👍", count: 1, userIds: [c.owner.id] }]);
    expectError(await call(path("hello"), { as: bob, method: "PUT" }), 400, "validation_failed");
  });

  it("takes exactly one emoji as a reaction, over HTTP and on the socket: 👍👍👍 and a😀 are 400, 👍 👍🏽 👨‍👩‍👧 🇹🇼 1️⃣ are kept", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "react to me" } });
    const id = sent.body.message.id;
    const path = (emoji: string) => `/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
    for (const many of ["👍👍👍", "a😀"]) expectError(await call(path(many), { as: c.owner, method: "PUT" }), 400, "validation_failed");
    const one = ["👍", "👍🏽", "👨\u200D👩\u200D👧", "🇹🇼", "1️⃣"];
    let reactions: Array<{ emoji: string; count: number }> = [];
    for (const emoji of one) {
      const res = await call(path(emoji), { as: c.owner, method: "PUT" });
      expect(res.status, emoji).toBe(200);
      reactions = res.body.message.reactions;
    }
    expect(reactions.map((r) => [r.emoji, r.count])).toEqual(one.map((e) => [e, 1]));
    const s = await connected(space, c.owner);
    s.send({ type: "react", id, emoji: "👍👍👍", on: true });
    s.send({ type: "react", id, emoji: "a😀", on: true });
    await s.next((f): f is never => s.frames.filter(isError).length >= 2);
    expect(s.frames.filter(isError).map((f) => [f.code, f.message])).toEqual([
      ["validation_failed", "emoji: one emoji"],
      ["validation_failed", "emoji: one emoji"],
    ]);
  });

  it("balances bidi controls in a message: the PDF an override leaves behind goes, closed isolates stay (socket and HTTP)", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const viaHttp = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "abc\u202Egnp.exe\u202C def" } });
    expect(viaHttp.body.message.body).toBe("abcgnp.exe def");
    const s = await connected(space, c.owner);
    const id = clientId();
    s.send({ type: "send", clientId: id, body: "\u2067שלום\u2069 and \u2067open, stray\u202C" });
    expect((await s.next(isAck(id))).message.body).toBe("\u2067שלום\u2069 and open, stray");
  });

  it("quotes the message replied to, and refuses a reply to a message of another channel", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const other = await makeChat(c, { name: "Other" });
    const first = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "the **original** point" } });
    const reply = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "agreed", replyTo: first.body.message.id } });
    expect(reply.body.message.replyTo).toMatchObject({ id: first.body.message.id, excerpt: "the original point", deleted: false });
    const elsewhere = await call(`/api/v1/spaces/${other.id}/messages`, { as: c.owner, body: { body: "x", replyTo: first.body.message.id } });
    expectError(elsewhere, 400, "validation_failed");
  });

  it("pages history back by seq", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const mod = await addMember(c, { role: "moderator" });
    for (let i = 0; i < 7; i++) await call(`/api/v1/spaces/${space.id}/messages`, { as: i < 5 ? c.owner : mod, body: { body: `h${i}` } });
    const newest = await call(`/api/v1/spaces/${space.id}/messages?limit=3`, { as: c.owner });
    expect(newest.body.items.map((m: { body: string }) => m.body)).toEqual(["h4", "h5", "h6"]);
    const older = await call(`/api/v1/spaces/${space.id}/messages?limit=3&before=${newest.body.nextCursor}`, { as: c.owner });
    expect(older.body.items.map((m: { body: string }) => m.body)).toEqual(["h1", "h2", "h3"]);
    const oldest = await call(`/api/v1/spaces/${space.id}/messages?limit=3&before=${older.body.nextCursor}`, { as: c.owner });
    expect(oldest.body.items.map((m: { body: string }) => m.body)).toEqual(["h0"]);
    expect(oldest.body.nextCursor).toBeNull();
    expectError(await call(`/api/v1/spaces/${space.id}/messages?before=1&after=1`, { as: c.owner }), 400, "validation_failed");
  });

  it("attaches only the sender's own uploads for this space", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const mine = await postUpload(c.owner, png(), { spaceId: space.id });
    const bobs = await postUpload(bob, png(), { spaceId: space.id });
    expect([mine.status, bobs.status]).toEqual([201, 201]);
    const ok = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "", imageIds: [mine.body.id] } });
    expect(ok.status).toBe(201);
    expect(ok.body.message.images).toEqual([{ id: mine.body.id, url: mine.body.url }]);
    expectError(await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "theirs", imageIds: [bobs.body.id] } }), 400, "validation_failed");
    expectError(await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "  \n " } }), 400, "validation_failed");
  });

  it("renders the inline subset: a heading is a paragraph, raw HTML and scripts show as text, never as tags", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const res = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "# Big\n\n---\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b>bold</b>" } });
    expect(res.body.message.html).toBe("<p>Big</p>\n<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>[x](javascript:alert(1)) &lt;b&gt;bold&lt;/b&gt;</p>");
  });
});

describe("chat channel: access follows membership", () => {
  it("closes a banned member's sockets and a member taken off a private channel's list", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const carol = await addMember(c);
    const open = await makeChat(c);
    const hidden = await makeChat(c, { private: true, memberIds: [carol.id], name: "Inner" });
    const b = await connected(open, bob);
    const k = await connected(hidden, carol);
    expect((await call(`/api/v1/communities/${c.slug}/bans`, { as: c.owner, body: { userId: bob.id, reason: "spam" } })).status).toBe(201);
    expect((await b.closed).code).toBe(4403);
    expect((await call(`/api/v1/spaces/${hidden.id}/members/${carol.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await k.closed).code).toBe(4403);
    expect((await openSocket(hidden, carol)).status).toBe(404);
  });

  it("refuses a socket whose access check was read before a revocation (the access epoch)", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const stub = channelStub(env, space.id);
    const identity = { userId: bob.id, userName: bob.name, role: "member" as const, epoch: 0, communityId: c.id, channelId: space.id };
    // the object heard of a revocation at epoch 5; a call checked at epoch 3 is refused
    await stub.revoke(bob.id, 5);
    const stale = await stub.send({ ...identity, epoch: 3 }, { clientId: null, body: "late", replyTo: null, imageIds: [], mentionIds: [] });
    expect(stale).toMatchObject({ ok: false, error: { status: 404 } });
    const fresh = await stub.send({ ...identity, epoch: 5 }, { clientId: null, body: "checked after", replyTo: null, imageIds: [], mentionIds: [] });
    expect(fresh.ok).toBe(true);
  });

  it("closes a socket that never confirms (4408) once it is more than maxUnread revs behind, while a confirming reader stays open, across an eviction", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const mod = await addMember(c, { role: "moderator" });
    const third = await addMember(c, { role: "moderator" });
    const slow = await connected(space, c.owner, { confirms: false });
    const live = await connected(space, mod);
    // CHAT_MAX_UNREAD is 20 in the tests (vitest.config.ts); five senders stay under the flood brake
    const senders = [c.owner, mod, third, await addMember(c, { role: "moderator" }), await addMember(c, { role: "moderator" })];
    const post = (i: number) => call(`/api/v1/spaces/${space.id}/messages`, { as: senders[i % 5], body: { body: `flood ${i}` } });
    let closedYet = false;
    void slow.closed.then(() => (closedYet = true));
    for (let i = 0; i < 12; i++) await post(i);
    await live.waitForMessages(12);
    await new Promise((r) => setTimeout(r, 100));
    // the count of what each socket confirmed lives with the socket, not in the evicted instance
    await evictDurableObject(channelStub(env, space.id) as never);
    // closed once a frame starts more than 20 revs past what it confirmed (frames may coalesce a few)
    let sent = 12;
    while (sent < 24 || (!closedYet && sent < 45)) await post(sent++);
    const closed = await slow.closed;
    expect(closed).toEqual({ code: 4408, reason: "slow_consumer" });
    // it was sent, in order, what it had before the eviction, and no frame that started past the
    // 20 revs it may leave unconfirmed (frames coalesce: the last one may carry a few more)
    const got = slow.messages().map((m) => m.body);
    expect(got.length).toBeGreaterThanOrEqual(12);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `flood ${i}`));
    const starts = slow.frames.flatMap((f) => (f.type === "messages" ? [f.messages[0].rev] : []));
    const head = slow.frames.flatMap((f) => (f.type === "ready" ? [f.head] : []))[0];
    expect(Math.max(...starts) - 1 - head).toBeLessThanOrEqual(20);
    expect((await live.waitForMessages(sent)).map((m) => m.body)).toContain(`flood ${sent - 1}`);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    const id = clientId();
    live.send({ type: "send", clientId: id, body: "still here" });
    expect((await live.next(isAck(id))).message.body).toBe("still here");
  });

  it("does not let a client confirm revs it was never sent: a `seen` past the head counts as the head", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const mod = await addMember(c, { role: "moderator" });
    const third = await addMember(c, { role: "moderator" });
    const liar = await connected(space, c.owner, { confirms: false });
    liar.send({ type: "seen", rev: 1_000_000 });
    await new Promise((r) => setTimeout(r, 100));
    const senders = [c.owner, mod, third, await addMember(c, { role: "moderator" }), await addMember(c, { role: "moderator" })];
    let closed: { code: number } | null = null;
    void liar.closed.then((e) => (closed = e));
    // closed once a frame starts more than 20 revs past what it really had (frames may coalesce a few)
    let sent = 0;
    while (!closed && sent < 45) await call(`/api/v1/spaces/${space.id}/messages`, { as: senders[sent % 5], body: { body: `m ${sent++}` } });
    expect((await liar.closed).code).toBe(4408);
    expect(sent).toBeGreaterThanOrEqual(21);
  });
});

describe("chat channel: readers confirm by count", () => {
  it("asks readers in ready to confirm every quarter of the slow-reader limit, and keeps one that confirms only that often open through three times the limit", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const res = await openSocket(space, c.owner);
    const ready = await res.socket!.next((f): f is Extract<ServerFrame, { type: "ready" }> => f.type === "ready");
    // CHAT_MAX_UNREAD is 20 in these tests
    expect(ready.confirmEvery).toBe(5);
    // six members, ten each: under the flood brake of 10 in 10 s
    const senders = await Promise.all(Array.from({ length: 6 }, () => addMember(c)));
    for (let i = 0; i < 60; i++) {
      const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: senders[i % 6], body: { body: `m ${i}` } });
      expect(sent.status).toBe(201);
    }
    await res.socket!.waitForMessages(60);
    expect(res.socket!.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("chat channel: answers that pile up", () => {
  it("closes (4408) a socket that keeps sending frames and never confirms, after maxUnread answers, and counts again from each seen", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const confirming = await connected(space, c.owner);
    for (let i = 0; i < 15; i++) confirming.send("not json");
    confirming.send({ type: "seen", rev: 0 });
    for (let i = 0; i < 15; i++) confirming.send("not json");
    await confirming.next((f): f is never => confirming.frames.filter(isError).length >= 30);
    expect(confirming.ws.readyState).toBe(WebSocket.OPEN);
    const flooding = await connected(space, c.owner, { confirms: false });
    for (let i = 0; i < 30; i++) flooding.send("not json");
    expect(await flooding.closed).toEqual({ code: 4408, reason: "slow_consumer" });
    // CHAT_MAX_UNREAD is 20: twenty answers, then the close
    expect(flooding.frames.filter(isError)).toHaveLength(20);
  });
});

describe("chat channel: closing", () => {
  it("delivers the object's close frames at once: 4403 on removal, 4404 on archive, each within 500 ms of the call", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const carol = await addMember(c);
    const s = await connected(space, bob);
    const k = await connected(space, carol);
    let started = Date.now();
    await call(`/api/v1/communities/${c.slug}/members/${bob.id}`, { as: c.owner, method: "DELETE" });
    expect((await s.closed).code).toBe(4403);
    expect(Date.now() - started).toBeLessThan(500);
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
    started = Date.now();
    await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "DELETE" });
    expect((await k.closed).code).toBe(4404);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("answers a close the client starts and forgets the socket: the others keep receiving", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const leaving = await connected(space, bob);
    const staying = await connected(space, c.owner);
    const started = Date.now();
    leaving.ws.close(1000, "bye");
    const closed = await leaving.closed;
    expect(closed.code).toBe(1000);
    expect(Date.now() - started).toBeLessThan(500);
    await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "after the close" } });
    expect((await staying.waitForMessages(1))[0].body).toBe("after the close");
    const sockets = await runInDurableObject(channelStub(env, space.id) as never, async (_: unknown, state: DurableObjectState) => state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length);
    expect(sockets).toBe(1);
  });
});

describe("chat channel: archiving", () => {
  it("closes every socket of an archived chat space at once and refuses it afterwards", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const s = await connected(space, bob);
    expect((await call(`/api/v1/spaces/${space.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await s.closed).code).toBe(4404);
    expect((await openSocket(space, bob)).status).toBe(404);
    // the object refuses even a caller whose check was read before the archive
    const stale = await channelStub(env, space.id).send(
      { userId: bob.id, userName: bob.name, role: "member", epoch: 1_000, communityId: c.id, channelId: space.id },
      { clientId: null, body: "too late", replyTo: null, imageIds: [], mentionIds: [] },
    );
    expect(stale).toMatchObject({ ok: false, error: { status: 404 } });
  });
});
