// Missed messages by email (ADR 033): a mention in a channel, or a DM message, still unread 15
// minutes later sends one mail per member through the outbox, gathering what is still unread, in
// the member's language; read in time, or with the preference off, nothing is sent; a job that
// runs twice sends nothing twice. The clock of the job runner is moved, nothing sleeps.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { addMember, db, env, makeCommunity } from "../community-fixtures";
import { call, type TestUser } from "../helpers";
import { makeChat } from "../chat-fixtures";
import { channelStub } from "../../workers/domain/chat/channels";
import { schema } from "../../workers/db/client";
import { drainEvents } from "../queue-fixtures";
import { MISSED_AFTER_MS, sendMissedMessages } from "../../workers/domain/chat/missed-messages";
import { newId } from "../../workers/lib/ids";
import type { DomainEvent } from "../../workers/domain/events/kinds";

const send = async (channelId: string, as: TestUser, body: string) => {
  const res = await call(`/api/v1/spaces/${channelId}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message as { id: string; seq: number };
};
const forward = (channelId: string) => runDurableObjectAlarm(channelStub(env, channelId) as never);
/** Run every due event with the clock `minutes` ahead. */
const later = (minutes: number) => drainEvents({ now: () => Date.now() + minutes * 60_000 });
const mailsTo = (user: TestUser) =>
  db()
    .select()
    .from(schema.outbox)
    .where(and(eq(schema.outbox.userId, user.id), eq(schema.outbox.kind, "missed_messages")));

describe("missed messages by email", () => {
  it("mails a mention still unread after 15 minutes once, gathering the slot's unread mentions, and not before", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c, { name: "Planning" });
    const bob = await addMember(c);
    await send(space.id, c.owner, `Hey <@${bob.id}>, the plan is ready`);
    await send(space.id, c.owner, `<@${bob.id}> and the budget too`);
    await send(space.id, c.owner, "no mention here");
    await forward(space.id);
    await drainEvents();
    expect(await mailsTo(bob)).toEqual([]);
    // the in-app notice came at once (the mention handler)
    const notices = await call("/api/v1/me/notifications", { as: bob });
    expect(notices.body.items.map((n: { kind: string }) => n.kind)).toEqual(["mention", "mention"]);

    await later(31);
    const mails = await mailsTo(bob);
    expect(mails).toHaveLength(1);
    expect(mails[0].toEmail).toBe(bob.email);
    expect(mails[0].subject).toBe("You have 2 unread messages on Enclave");
    expect(mails[0].text).toContain(`#Planning · ${c.owner.name}: Hey @${bob.name}, the plan is ready`);
    expect(mails[0].text).toContain(`@${bob.name} and the budget too`);
    expect(mails[0].text).not.toContain("no mention here");
    expect(mails[0].text).toContain(`/c/${c.slug}/s/${space.id}?seq=`);
    // the owner wrote them: nothing for the owner
    expect(await mailsTo(c.owner)).toEqual([]);

    // the job delivered again (a crash after its batch) sends nothing twice
    const [job] = await db().select().from(schema.domainEvents).where(eq(schema.domainEvents.kind, "chat.missed"));
    await sendMissedMessages(env, { ...job, kind: "chat.missed", payload: job.payload as { userId: string; slot: number }, subject: { type: "user", id: bob.id } } as DomainEvent<"chat.missed">, Date.now() + 40 * 60_000);
    await later(45);
    expect(await mailsTo(bob)).toHaveLength(1);
  });

  it("sends nothing when the mention was read in time", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const sent = await send(space.id, c.owner, `<@${bob.id}> look`);
    expect((await call(`/api/v1/spaces/${space.id}/read`, { as: bob, body: { seq: sent.seq } })).status).toBe(200);
    await forward(space.id);
    await later(31);
    expect(await mailsTo(bob)).toEqual([]);
    const rows = await db().select().from(schema.chatMissed).where(eq(schema.chatMissed.userId, bob.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].settledAt).not.toBeNull();
  });

  it("respects the missed-messages preference and the channel level 'none', and writes in the member's language", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const off = await addMember(c);
    const muted = await addMember(c);
    const zh = await addMember(c);
    expect((await call("/api/v1/me", { method: "PATCH", as: off, body: { notificationPrefs: { missed_messages: false } } })).status).toBe(200);
    expect((await call(`/api/v1/spaces/${space.id}/chat/notifications`, { method: "PUT", as: muted, body: { level: "none" } })).status).toBe(200);
    expect((await call("/api/v1/me", { method: "PATCH", as: zh, body: { locale: "zh-Hant" } })).status).toBe(200);
    await send(space.id, c.owner, `<@${off.id}> <@${muted.id}> <@${zh.id}> 開會了`);
    await forward(space.id);
    await later(31);
    expect(await mailsTo(off)).toEqual([]);
    expect(await mailsTo(muted)).toEqual([]);
    const [mail] = await mailsTo(zh);
    expect(mail.subject).toBe("你在 Enclave 有 1 則未讀訊息");
    expect(mail.text).toContain("以下訊息正等著你");
  });

  it("mails every unread message of a DM conversation (a dm_ channel) to its other participants", async () => {
    const c = await makeCommunity();
    const bob = await addMember(c);
    const dmId = `dm_${newId("x").slice(2, 24).padEnd(22, "a")}`;
    await db().insert(schema.conversations).values({ id: dmId, communityId: c.id, kind: "direct", memberKey: [c.owner.id, bob.id].sort().join(","), createdBy: c.owner.id });
    await db().insert(schema.conversationMembers).values([
      { conversationId: dmId, userId: c.owner.id },
      { conversationId: dmId, userId: bob.id },
    ]);
    const identity = { userId: c.owner.id, userName: c.owner.name, role: "owner" as const, epoch: 1_000_000, communityId: c.id, channelId: dmId };
    const stub = channelStub(env, dmId);
    for (const body of ["are you there?", "call me"]) {
      const sent = await stub.send(identity, { body, replyTo: null, imageIds: [], mentionIds: [], clientId: null });
      expect(sent.ok).toBe(true);
    }
    await forward(dmId);
    await later(31);
    const [mail] = await mailsTo(bob);
    expect(mail.subject).toBe("You have 2 unread messages on Enclave");
    expect(mail.text).toContain(`Direct message · ${c.owner.name}: are you there?`);
    expect(mail.text).toContain(`/c/${c.slug}/dm/${dmId}`);
    expect(await mailsTo(c.owner)).toEqual([]);
  });

  it("waits for the slot: a job is due once every message of its 15-minute slot is 15 minutes old", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    await send(space.id, c.owner, `<@${bob.id}> soon`);
    await forward(space.id);
    const [job] = await db().select().from(schema.domainEvents).where(eq(schema.domainEvents.kind, "chat.missed"));
    const slot = (job.payload as { slot: number }).slot;
    expect(job.nextAttemptAt.getTime()).toBe((slot + 2) * MISSED_AFTER_MS);
    await later(14);
    expect(await mailsTo(bob)).toEqual([]);
  });
});

