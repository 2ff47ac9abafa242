// The cron purges what has served its purpose (issue 10 §4): expired sessions, used or expired
// mail tokens, sent mail older than 30 days, rate counters whose window ended — in bounded
// batches, so a backlog is taken over several ticks within D1's 1,000 queries per invocation.
import { createScheduledController } from "cloudflare:test";
import { count, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../workers/api-entry";
import { schema } from "../../workers/db/client";
import { PURGE_BATCH, PURGE_ROUNDS, SENT_MAIL_RETENTION_MS } from "../../workers/domain/jobs/purge";
import { newId } from "../../workers/lib/ids";
import { db, env } from "../community-fixtures";
import { createUser } from "../helpers";

const tick = () => worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

describe("the cron's purge", () => {
  it("deletes expired sessions, used or expired tokens, mail sent over 30 days ago and ended rate counters; keeps the rest", async () => {
    const user = await createUser();
    const s = schema.sessions;
    await db().insert(s).values([
      { id: newId("ses"), userId: user.id, expiresAt: ago(1000) },
      { id: "live-session-" + user.id, userId: user.id, expiresAt: ahead(DAY) },
    ]);
    const t = schema.emailTokens;
    await db().insert(t).values([
      { id: "used-" + user.id, userId: user.id, purpose: "password_reset", expiresAt: ahead(3_600_000), usedAt: ago(1000) },
      { id: "expired-" + user.id, userId: user.id, purpose: "verify_email", expiresAt: ago(1000) },
      { id: "usable-" + user.id, userId: user.id, purpose: "verify_email", expiresAt: ahead(DAY) },
    ]);
    const o = schema.outbox;
    const mail = { userId: user.id, toEmail: user.email, kind: "verify_email", subject: "s", text: "t" };
    await db().insert(o).values([
      { ...mail, id: "sent-long-ago-" + user.id, createdAt: ago(SENT_MAIL_RETENTION_MS + DAY), sentAt: ago(SENT_MAIL_RETENTION_MS + 1000) },
      { ...mail, id: "sent-lately-" + user.id, createdAt: ago(2 * DAY), sentAt: ago(DAY) },
      // never sent (no mail provider, or still failing): still work, whatever its age
      { ...mail, id: "unsent-" + user.id, createdAt: ago(SENT_MAIL_RETENTION_MS + DAY), sentAt: null },
    ]);
    const rc = schema.rateCounters;
    await db().insert(rc).values([
      { key: `export:${user.id}`, count: 10, windowEndsAt: ago(1000) },
      { key: `upload:${user.id}`, count: 3, windowEndsAt: ahead(DAY) },
    ]);

    await tick();

    const sessionsLeft = await db().select({ id: s.id, expiresAt: s.expiresAt }).from(s).where(eq(s.userId, user.id));
    expect(sessionsLeft.every((r) => r.expiresAt.getTime() > Date.now())).toBe(true);
    expect(sessionsLeft.map((r) => r.id)).toContain("live-session-" + user.id);
    expect(sessionsLeft).toHaveLength(2); // the live one above and createUser's own
    expect((await db().select({ id: t.id }).from(t).where(eq(t.userId, user.id))).map((r) => r.id)).toEqual(["usable-" + user.id]);
    expect((await db().select({ id: o.id }).from(o).where(eq(o.userId, user.id))).map((r) => r.id).sort()).toEqual(
      ["sent-lately-" + user.id, "unsent-" + user.id].sort(),
    );
    expect((await db().select({ key: rc.key }).from(rc).where(inArray(rc.key, [`export:${user.id}`, `upload:${user.id}`]))).map((r) => r.key)).toEqual([
      `upload:${user.id}`,
    ]);
  });

  it("takes a backlog PURGE_BATCH × PURGE_ROUNDS rows a tick, so a large one spreads over several ticks", async () => {
    const user = await createUser();
    const perTick = PURGE_BATCH * PURGE_ROUNDS;
    const backlog = perTick + 150;
    // one statement writes the whole backlog of expired sessions
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO sessions (id, user_id, expires_at, created_at) SELECT 'old-' || ? || '-' || i, ?, ?, ? FROM n`,
    )
      .bind(backlog, user.id, user.id, Date.now() - 1000, Date.now() - DAY)
      .run();
    const expired = async () =>
      (await db().select({ n: count() }).from(schema.sessions).where(sql`${schema.sessions.userId} = ${user.id} and ${schema.sessions.expiresAt} < ${Date.now()}`))[0].n;
    expect(await expired()).toBe(backlog);
    await tick();
    expect(await expired()).toBe(150);
    await tick();
    expect(await expired()).toBe(0);
    // the user's own live session was never touched
    const [{ n }] = await db().select({ n: count() }).from(schema.sessions).where(eq(schema.sessions.userId, user.id));
    expect(n).toBe(1);
  });
});
