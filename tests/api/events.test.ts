// The spine (ADR 014): a change writes its domain event in its own batch; the events queue runs
// the kind's handlers with retries, backoff and a dead-letter state; the cron's sweep delivers
// what a lost queue message left behind; done events are purged; payloads carry ids, not text.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { eventInsert } from "../../workers/domain/events/emit";
import {
  EVENT_BACKOFF_BASE_MS,
  EVENT_RETENTION_MS,
  MAX_EVENT_ATTEMPTS,
  processEvent,
  SWEEP_AFTER_MS,
  sweepEvents,
} from "../../workers/domain/events/process";
import { newId } from "../../workers/lib/ids";
import { outboxInsert } from "../../workers/mail/outbox";
import { addMember, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, unique, type TestUser } from "../helpers";
import { deliverEvents, deliverMessages, drainEvents, eventually } from "../queue-fixtures";

const db = () => getDb(env);
const e = schema.domainEvents;

async function eventRow(id: string) {
  const [row] = await db().select().from(e).where(eq(e.id, id));
  return row;
}

async function eventsAbout(subjectId: string) {
  return db().select().from(e).where(eq(e.subjectId, subjectId)).orderBy(e.createdAt);
}

/**
 * A post and its post.created event written in one batch, with no queue message sent: what a
 * Worker that died right after the commit leaves behind.
 */
async function postLeftBehind(community: TestCommunity, spaceId: string, author: TestUser, content: { title: string; body: string }) {
  const id = newId("pst");
  const event = eventInsert(env, { kind: "post.created", communityId: community.id, subject: { type: "post", id }, payload: { postId: id } });
  await db().batch([
    db().insert(schema.posts).values({ id, communityId: community.id, spaceId, authorId: author.id, ...content }),
    event.statement,
  ]);
  return { postId: id, eventId: event.id };
}

async function searchIds(slug: string, q: string, as: TestUser) {
  const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}`, { as });
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ id: string }>).map((hit) => hit.id);
}

async function mentionsOf(userId: string, postId: string) {
  const n = schema.notifications;
  return db()
    .select({ kind: n.kind })
    .from(n)
    .where(and(eq(n.userId, userId), eq(n.subjectId, postId)));
}

/** The search index made to fail the way a lost database would, and put back. */
const breakSearch = () => env.SEARCH.exec("ALTER TABLE search_docs RENAME TO search_docs_away");
const mendSearch = () => env.SEARCH.exec("ALTER TABLE search_docs_away RENAME TO search_docs");

describe("a change and its event", () => {
  it("writes exactly one event with the post, carrying ids and none of the post's text", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const secret = unique("okapi");
    const post = await writePost(space, c.owner, { title: `About ${secret}`, body: `the ${secret} census` });
    const events = await eventsAbout(post.id);
    expect(events.map((row) => [row.kind, row.communityId, row.payload])).toEqual([["post.created", c.id, { postId: post.id }]]);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM domain_events WHERE payload LIKE ?").bind(`%${secret}%`).first<{ n: number }>())!;
    expect(n).toBe(0);
  });

  it("writes no event for a change that did not happen: a second delete, a comment on a locked post", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Twice deleted" });
    expect((await call(`/api/v1/posts/${post.id}`, { as: c.owner, method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/posts/${post.id}`, { as: c.owner, method: "DELETE" })).status).toBe(404);
    expect((await eventsAbout(post.id)).map((row) => row.kind)).toEqual(["post.created", "post.removed"]);

    const locked = await writePost(space, c.owner, { title: "Locked" });
    expect((await call(`/api/v1/posts/${locked.id}/lock`, { as: c.owner, method: "POST" })).status).toBeLessThan(300);
    const refused = await call(`/api/v1/posts/${locked.id}/comments`, { as: c.owner, body: { body: "too late" } });
    expectError(refused, 409, "conflict");
    const comments = await db().select({ id: e.id }).from(e).where(and(eq(e.kind, "comment.created"), eq(e.communityId, c.id)));
    expect(comments).toEqual([]);
  });

  it("delivers a notification through the local queue within 5 s, without a test draining it", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const reader = await addMember(c, { user: await createUser({ name: unique("Quick Reader ") }) });
    const started = Date.now();
    const post = await writePost(space, c.owner, { title: "Fast", body: `@${reader.name} look` });
    const mentions = await eventually(
      () => mentionsOf(reader.id, post.id),
      (rows) => rows.length > 0,
    );
    expect(mentions).toEqual([{ kind: "mention" }]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("work between the commit and its consequences is never lost", () => {
  it("delivers, through the sweep and the queue, what a Worker that died after the commit left behind", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const { postId, eventId } = await postLeftBehind(c, space.id, c.owner, { title: "Orphan", body: "pangolin sightings" });
    // within SWEEP_AFTER_MS the queue may still be on its way: the sweep leaves it alone
    expect((await sweepEvents(env)).resent).not.toContain(eventId);
    const swept = await sweepEvents(env, Date.now() + SWEEP_AFTER_MS + 1_000);
    expect(swept.resent).toContain(eventId);
    const done = await eventually(
      () => eventRow(eventId),
      (row) => row.status === "done",
    );
    expect(done).toMatchObject({ status: "done", attempts: 1, handled: ["search", "mentions", "followers"] });
    expect(await searchIds(c.slug, "pangolin", c.owner)).toEqual([postId]);
  });

  it("retries a failing handler with backoff, without running the handlers that finished again", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const reader = await addMember(c, { user: await createUser({ name: unique("Retry Reader ") }) });
    const { postId, eventId } = await postLeftBehind(c, space.id, c.owner, { title: "Flaky", body: `<@${reader.id}> tapir news` });
    await breakSearch();
    const now = Date.now();
    let first;
    try {
      first = await processEvent(env, eventId, now);
    } finally {
      await mendSearch();
    }
    expect(first).toMatchObject({ outcome: "retry", retryInMs: EVENT_BACKOFF_BASE_MS });
    expect(await eventRow(eventId)).toMatchObject({ status: "pending", attempts: 1, handled: ["mentions", "followers"] });
    expect((await eventRow(eventId)).lastError).toMatch(/^search: /);
    expect(await mentionsOf(reader.id, postId)).toEqual([{ kind: "mention" }]);

    // not before its time, then once
    expect(await processEvent(env, eventId, now + 1_000)).toMatchObject({ outcome: "skipped" });
    expect(await processEvent(env, eventId, now + EVENT_BACKOFF_BASE_MS + 1)).toEqual({ outcome: "done" });
    expect(await eventRow(eventId)).toMatchObject({ status: "done", attempts: 2, handled: ["mentions", "followers", "search"], lastError: null });
    expect(await mentionsOf(reader.id, postId)).toEqual([{ kind: "mention" }]);
    expect(await searchIds(c.slug, "tapir", c.owner)).toEqual([postId]);
  });

  it("runs an event delivered twice once, acks an unreadable message, and retries a batch from a queue it does not consume", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const reader = await addMember(c, { user: await createUser({ name: unique("Twice Reader ") }) });
    const { postId, eventId } = await postLeftBehind(c, space.id, c.owner, { title: "Echo", body: `<@${reader.id}> hello` });
    const result = await deliverEvents([eventId, eventId]);
    expect(result.retryMessages).toEqual([]);
    expect(await eventRow(eventId)).toMatchObject({ status: "done", attempts: 1 });
    expect(await mentionsOf(reader.id, postId)).toEqual([{ kind: "mention" }]);

    const unreadable = await deliverMessages("enclave-events", [{ outboxId: "mail_old_shape" }, "nonsense"]);
    expect([...unreadable.explicitAcks].sort()).toEqual(["delivery-0", "delivery-1"]);
    const stranger = await deliverMessages("enclave-unknown", [{ eventId }]);
    expect(stranger.retryBatch.retry).toBe(true);
  });
});

describe("dead letters", () => {
  it(`dead-letters an event after ${MAX_EVENT_ATTEMPTS} attempts, shows it to its community's admins and the operators only, and delivers it on retry`, async () => {
    const c = await makeCommunity();
    const other = await makeCommunity();
    const member = await addMember(c);
    const space = await makeSpace(c);
    const { postId, eventId } = await postLeftBehind(c, space.id, c.owner, { title: "Doomed", body: "aardvark tales" });
    await breakSearch();
    let clock = Date.now();
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < MAX_EVENT_ATTEMPTS; i++) {
        const result = await processEvent(env, eventId, clock);
        outcomes.push(result.outcome);
        clock += 10 * 60_000;
      }
    } finally {
      await mendSearch();
    }
    expect(outcomes).toEqual(["retry", "retry", "retry", "retry", "dead"]);
    expect(await eventRow(eventId)).toMatchObject({ status: "dead", attempts: MAX_EVENT_ATTEMPTS });
    // a dead event is not run again by the consumer nor re-sent by the sweep
    expect(await processEvent(env, eventId, clock)).toEqual({ outcome: "skipped" });

    const mine = await call(`/api/v1/communities/${c.slug}/dead-letters`, { as: c.owner });
    expect(mine.status).toBe(200);
    expect(mine.body.total).toBe(1);
    expect(mine.body.items).toEqual([
      expect.objectContaining({ id: eventId, kind: "post.created", subject: { type: "post", id: postId }, postId, attempts: MAX_EVENT_ATTEMPTS, handled: ["mentions", "followers"] }),
    ]);
    expect(mine.body.items[0].lastError).toMatch(/^search: /);
    expectError(await call(`/api/v1/communities/${c.slug}/dead-letters`, { as: member }), 403, "forbidden");
    expect((await call(`/api/v1/communities/${other.slug}/dead-letters`, { as: other.owner })).body.items).toEqual([]);
    expectError(await call(`/api/v1/communities/${other.slug}/dead-letters/${eventId}/retry`, { as: other.owner, method: "POST" }), 404, "not_found");
    expectError(await call("/api/v1/platform/dead-letters", { as: c.owner }), 404, "not_found");
    expectError(await call("/api/v1/platform/dead-letters"), 401, "unauthenticated");
    const operator = await createUser({ email: "operator@example.com" }).catch(async () => {
      const [row] = await db().select().from(schema.users).where(eq(schema.users.email, "operator@example.com"));
      return row as unknown as TestUser;
    });
    const platform = await call("/api/v1/platform/dead-letters", { as: operator });
    expect(platform.status).toBe(200);
    expect(platform.body.items.map((item: { id: string }) => item.id)).toContain(eventId);

    expect((await call(`/api/v1/communities/${c.slug}/dead-letters/${eventId}/retry`, { as: c.owner, method: "POST" })).status).toBe(202);
    expectError(await call(`/api/v1/communities/${c.slug}/dead-letters/${eventId}/retry`, { as: c.owner, method: "POST" }), 404, "not_found");
    await drainEvents();
    expect(await eventRow(eventId)).toMatchObject({ status: "done", handled: ["mentions", "followers", "search"] });
    expect(await searchIds(c.slug, "aardvark", c.owner)).toEqual([postId]);
    expect((await call(`/api/v1/communities/${c.slug}/dead-letters`, { as: c.owner })).body.total).toBe(0);
  });

  it("names the post a dead comment event belongs to, so the page links the comment in its post", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const post = await writePost(space, c.owner, { title: "Linked", body: "" });
    const comment = await writeComment(post.id, c.owner, "A reply that failed to index");
    await drainEvents();
    const [commentEvent] = (await eventsAbout(comment.id)).filter((row) => row.kind === "comment.created");
    await db().update(e).set({ status: "dead", attempts: MAX_EVENT_ATTEMPTS, lastError: "search: D1_ERROR" }).where(eq(e.id, commentEvent.id));
    const list = await call(`/api/v1/communities/${c.slug}/dead-letters`, { as: c.owner });
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: commentEvent.id, kind: "comment.created", subject: { type: "comment", id: comment.id }, postId: post.id }),
    ]);
  });

  it("purges done events after the retention period and keeps the dead", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const kept = await postLeftBehind(c, space.id, c.owner, { title: "Kept", body: "" });
    const purged = await postLeftBehind(c, space.id, c.owner, { title: "Purged", body: "" });
    await db().update(e).set({ status: "dead" }).where(eq(e.id, kept.eventId));
    await processEvent(env, purged.eventId);
    expect(await eventRow(purged.eventId)).toMatchObject({ status: "done" });
    await sweepEvents(env, Date.now() + EVENT_RETENTION_MS - 60_000);
    expect(await eventRow(purged.eventId)).toBeDefined();
    const swept = await sweepEvents(env, Date.now() + EVENT_RETENTION_MS + 60_000);
    expect(swept.purged).toBeGreaterThanOrEqual(1);
    expect(await eventRow(purged.eventId)).toBeUndefined();
    expect(await eventRow(kept.eventId)).toMatchObject({ status: "dead" });
  });
});

describe("mail through the spine", () => {
  async function deliveries(to: string) {
    const res = await fetch(`http://mail.test/deliveries?to=${encodeURIComponent(to)}`);
    return (await res.json()) as Array<{ count: number; subject: string }>;
  }

  it("retries a mail the provider refused, sends it once when two consumers race, and never again", async () => {
    const to = `${unique("mail")}@example.com`;
    const mail = outboxInsert(env, { userId: null, to, kind: "test", subject: "Hello once", text: "Only one of me." });
    await db().batch([...mail.statements]);
    const o = schema.outbox;
    const saved = env.MAIL_API_URL;
    try {
      env.MAIL_API_URL = "http://mail.test/down/emails";
      const now = Date.now();
      expect(await processEvent(env, mail.eventId, now)).toMatchObject({ outcome: "retry", error: "mail: mail API answered 503" });
      const [refused] = await db().select().from(o).where(eq(o.id, mail.id));
      expect(refused).toMatchObject({ sentAt: null, attempts: 1, lastError: "mail API answered 503", claimedUntil: null });
      expect(await deliveries(to)).toEqual([]);

      env.MAIL_API_URL = "http://mail.test/ok/emails";
      const later = now + EVENT_BACKOFF_BASE_MS + 1;
      const results = await Promise.all([processEvent(env, mail.eventId, later), processEvent(env, mail.eventId, later)]);
      expect(results.map((r) => r.outcome).sort()).toEqual(["done", "skipped"]);
      expect(await deliveries(to)).toEqual([expect.objectContaining({ subject: "Hello once", count: 1 })]);
      const [sent] = await db().select().from(o).where(eq(o.id, mail.id));
      expect(sent.sentAt).not.toBeNull();

      // delivered again by a late message or the sweep: already sent, nothing goes out
      await deliverEvents([mail.eventId]);
      const { sendQueuedMail } = await import("../../workers/mail/outbox");
      await sendQueuedMail(env, { id: mail.eventId, kind: "mail.queued", communityId: null, subject: { type: "mail", id: mail.id }, payload: { outboxId: mail.id }, createdAt: new Date() });
      expect(await deliveries(to)).toEqual([expect.objectContaining({ count: 1 })]);
    } finally {
      env.MAIL_API_URL = saved;
    }
  });

  it("lets one of two senders of the same mail through and tells the other to come back", async () => {
    const to = `${unique("race")}@example.com`;
    const mail = outboxInsert(env, { userId: null, to, kind: "test", subject: "Raced", text: "…" });
    await db().batch([...mail.statements]);
    const { sendQueuedMail } = await import("../../workers/mail/outbox");
    const event = { id: mail.eventId, kind: "mail.queued" as const, communityId: null, subject: { type: "mail" as const, id: mail.id }, payload: { outboxId: mail.id }, createdAt: new Date() };
    const saved = env.MAIL_API_URL;
    try {
      env.MAIL_API_URL = "http://mail.test/ok/emails";
      const settled = await Promise.allSettled([sendQueuedMail(env, event), sendQueuedMail(env, event)]);
      expect(settled.map((s) => s.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(await deliveries(to)).toEqual([expect.objectContaining({ count: 1 })]);
    } finally {
      env.MAIL_API_URL = saved;
    }
  });
});
