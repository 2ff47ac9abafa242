// A DM reaches people at once in the app (issue 13 point 5): one notice per conversation and
// recipient, kept up to date by each message, in the reader's language, linking to the
// conversation; the direct-messages preference silences it; who left gets none.
import { runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { channelStub } from "../../workers/domain/chat/channels";
import { addMember, db, env, makeCommunity, type TestCommunity } from "../community-fixtures";
import { call, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

async function startDm(c: TestCommunity, as: TestUser, others: TestUser[], name?: string): Promise<string> {
  const res = await call(`/api/v1/communities/${c.slug}/conversations`, { as, body: { memberIds: others.map((u) => u.id), ...(name ? { name } : {}) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id as string;
}

async function sendDm(conversationId: string, as: TestUser, body: string) {
  const res = await call(`/api/v1/conversations/${conversationId}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  // the object's outbox to the spine, then the spine's handlers
  await runDurableObjectAlarm(channelStub(env, conversationId) as never);
  await drainEvents();
}

const dmNotices = async (user: TestUser) => {
  const res = await call("/api/v1/me/notifications", { as: user });
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ kind: string; text: string; url: string; readAt: string | null; actor: { id: string } | null }>).filter((n) => n.kind === "direct_message");
};

describe("DM notices in the app", () => {
  it("tells the other participant at once, once per conversation, brought up to date by the next message, with a link to the conversation", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const id = await startDm(c, ann, [bob]);
    await sendDm(id, ann, "hi Bob");
    const first = await dmNotices(bob);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ text: `${ann.name} sent you a direct message`, url: `/c/${c.slug}/messages/${id}`, readAt: null, actor: { id: ann.id } });
    expect(await dmNotices(ann)).toEqual([]);
    // read, then another message: the same notice, unread again, no second one
    const rows = await db().select().from(schema.notifications).where(eq(schema.notifications.userId, bob.id));
    await db().update(schema.notifications).set({ readAt: new Date() }).where(eq(schema.notifications.id, rows[0].id));
    await sendDm(id, ann, "are you there?");
    const again = await dmNotices(bob);
    expect(again).toHaveLength(1);
    expect(again[0].readAt).toBeNull();
  });

  it("names a named group, writes in the reader's language, and tells nobody who left or turned DM notices off", async () => {
    const c = await makeCommunity();
    const ann = await addMember(c);
    const bob = await addMember(c);
    const cat = await addMember(c);
    const dan = await addMember(c);
    const id = await startDm(c, ann, [bob, cat, dan], "Launch team");
    expect((await call("/api/v1/me", { method: "PATCH", as: bob, body: { locale: "zh-Hant" } })).status).toBe(200);
    expect((await call("/api/v1/me", { method: "PATCH", as: cat, body: { notificationPrefs: { direct_messages: false } } })).status).toBe(200);
    expect((await call(`/api/v1/conversations/${id}/leave`, { method: "POST", as: dan })).status).toBeLessThan(300);
    await sendDm(id, ann, "kickoff at 10");
    expect((await dmNotices(bob)).map((n) => n.text)).toEqual([`${ann.name} 在「Launch team」傳了訊息給你`]);
    expect(await dmNotices(cat)).toEqual([]);
    expect(await dmNotices(dan)).toEqual([]);
  });
});
