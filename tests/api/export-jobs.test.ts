// Export jobs (API.md "exports", ADR 019): POST answers 202 with a job, the job is written in
// resumable steps through the spine (the tests' wrangler vars make a step 3 pages of 5 items, so a
// few dozen rows take many steps), and the archive downloads for its owner only, until it expires.
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { PART_BYTES, purgeExpiredExports, runExportStep } from "../../workers/domain/data-rights/export-jobs";
import { processEvent } from "../../workers/domain/events/process";
import { derivedId } from "../../workers/lib/ids";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, ORIGIN, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const db = () => getDb(env);

async function download(url: string, as: TestUser | null) {
  const res = await SELF.fetch(`${ORIGIN}${url}`, { headers: as ? { Cookie: as.cookie } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const withoutTime = (archive: Record<string, unknown>) => ({ ...archive, exportedAt: undefined });

async function jobRow(id: string) {
  const [row] = await db().select().from(schema.exportJobs).where(eq(schema.exportJobs.id, id));
  return row!;
}

describe("the account archive as a job", () => {
  it("answers 202 with a pending job, builds it in many steps, and serves the same archive GET /me/export gives", async () => {
    const community = await makeCommunity();
    const member = await createUser();
    await addMember(community, { user: member });
    const space = await makeSpace(community);
    // eight: a member may write ten posts a minute
    for (let i = 0; i < 8; i++) {
      const post = await writePost(space, member, { title: `Post ${i}`, body: `Body of post ${i}` });
      await writeComment(post.id, member, `Comment on ${i}`);
    }
    await drainEvents();

    const started = await call("/api/v1/me/exports", { as: member, method: "POST" });
    expect(started.status).toBe(202);
    expect(started.body.export).toMatchObject({ status: "pending", progress: 0, kind: "account", format: "json" });
    expect(started.headers.get("Location")).toBe(`/api/v1/me/exports/${started.body.export.id}`);
    expect(started.body.export.downloadUrl).toBeUndefined();

    // the first step writes a part of it and records where it stopped (the local queue would run
    // it within a second; running it here makes the in-between state observable)
    const id = started.body.export.id as string;
    await processEvent(env, await derivedId("evt", `export\n${id}\n0`));
    const partway = await call(`/api/v1/me/exports/${id}`, { as: member });
    expect(partway.body.export.status).toBe("running");
    expect(partway.body.export.progress).toBeGreaterThan(0);
    expect(partway.body.export.progress).toBeLessThan(1);

    await drainEvents();
    const ready = await call(`/api/v1/me/exports/${id}`, { as: member });
    expect(ready.body.export).toMatchObject({ status: "ready", progress: 1, downloadUrl: `/api/v1/me/exports/${id}/download` });
    expect(Date.parse(ready.body.export.expiresAt) - Date.now()).toBeGreaterThan(6 * 24 * 3600_000);
    expect((await jobRow(id)).step).toBeGreaterThan(3);

    const file = await download(ready.body.export.downloadUrl, member);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Disposition")).toMatch(/^attachment; filename="enclave-export-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(file.headers.get("Cache-Control")).toBe("private, no-store");
    const archive = JSON.parse(file.text);
    expect(archive.posts).toHaveLength(8);
    expect(archive.comments).toHaveLength(8);
    const inline = await call("/api/v1/me/export", { as: member });
    expect(withoutTime(archive)).toEqual(withoutTime(inline.body));

    // no staging objects are left behind
    const listed = await env.UPLOADS.list({ prefix: `x/${member.id}/${id}/` });
    expect(listed.objects.map((o) => o.key)).toEqual([`x/${member.id}/${id}/archive.json`]);
  });

  it("answers a second request with the unfinished job instead of starting another", async () => {
    const user = await createUser();
    const first = await call("/api/v1/me/exports", { as: user, method: "POST" });
    const second = await call("/api/v1/me/exports", { as: user, method: "POST" });
    expect(second.status).toBe(202);
    expect(second.body.export.id).toBe(first.body.export.id);
    await drainEvents();
    const third = await call("/api/v1/me/exports", { as: user, method: "POST" });
    expect(third.body.export.id).not.toBe(first.body.export.id);
    const list = await call("/api/v1/me/exports", { as: user });
    expect(list.body.items.map((j: { id: string }) => j.id)).toEqual([third.body.export.id, first.body.export.id]);
  });

  it("shows the job and its file to nobody but its owner, and nothing to the signed-out", async () => {
    const owner = await createUser();
    const other = await createUser();
    const { body } = await call("/api/v1/me/exports", { as: owner, method: "POST" });
    await drainEvents();
    const id = body.export.id;
    expect((await call(`/api/v1/me/exports/${id}`, { as: other })).status).toBe(404);
    expect((await download(`/api/v1/me/exports/${id}/download`, other)).status).toBe(404);
    expect((await call(`/api/v1/me/exports/${id}`, { as: null })).status).toBe(401);
    expect((await download(`/api/v1/me/exports/${id}/download`, null)).status).toBe(401);
    expect((await call(`/api/v1/me/exports/exp_nope`, { as: owner })).status).toBe(404);
    expect((await call(`/api/v1/me/exports/${"x".repeat(101)}`, { as: owner })).status).toBe(400);
    // another person's job is not in my list either
    expect((await call("/api/v1/me/exports", { as: other })).body.items).toEqual([]);
  });

  it("stops serving an archive once it expires, and the cron deletes it", async () => {
    const user = await createUser();
    const { body } = await call("/api/v1/me/exports", { as: user, method: "POST" });
    await drainEvents();
    const id = body.export.id;
    await db().update(schema.exportJobs).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(schema.exportJobs.id, id));
    const expired = await call(`/api/v1/me/exports/${id}`, { as: user });
    expect(expired.body.export.status).toBe("ready");
    expect(expired.body.export.downloadUrl).toBeUndefined();
    expect((await download(`/api/v1/me/exports/${id}/download`, user)).status).toBe(404);

    expect(await purgeExpiredExports(env)).toBeGreaterThanOrEqual(1);
    expect((await call(`/api/v1/me/exports/${id}`, { as: user })).status).toBe(404);
    expect((await env.UPLOADS.list({ prefix: `x/${user.id}/${id}/` })).objects).toEqual([]);
  });

  it("writes an archive of more than two R2 parts as equal 5 MiB parts and a last no larger (R2 refuses parts of unequal size)", async () => {
    const community = await makeCommunity();
    const member = await createUser();
    await addMember(community, { user: member });
    const space = await makeSpace(community);
    // 420 posts of ~30 KB (12 MB: two whole parts and a third) written straight to D1 (the API's
    // rate limits are not under test here)
    const body = "lorem ipsum dolor sit amet ".repeat(1100);
    for (let i = 0; i < 420; i += 20) {
      await db().run(sql`with recursive n(v) as (select ${i} union all select v + 1 from n where v < ${i + 19})
        insert into posts (id, community_id, space_id, author_id, title, body, excerpt, created_at)
        select 'pst_big_' || ${member.id} || '_' || v, ${community.id}, ${space.id}, ${member.id}, 'Big ' || v, ${body}, '', ${Date.now()} from n`);
    }
    const { body: started } = await call("/api/v1/me/exports", { as: member, method: "POST" });
    await drainEvents();
    const row = await jobRow(started.export.id);
    expect(row.status).toBe("ready");
    expect(row.size).toBeGreaterThan(2 * PART_BYTES);
    const file = await download(`/api/v1/me/exports/${row.id}/download`, member);
    const archive = JSON.parse(file.text);
    expect(archive.posts).toHaveLength(420);
    expect(new Set(archive.posts.map((p: { id: string }) => p.id)).size).toBe(420);
  });

  it("runs a step delivered twice once", async () => {
    const user = await createUser();
    const { body } = await call("/api/v1/me/exports", { as: user, method: "POST" });
    const id = body.export.id;
    await runExportStep(env, { jobId: id, step: 0 });
    const after = await jobRow(id);
    await runExportStep(env, { jobId: id, step: 0 });
    const again = await jobRow(id);
    expect(again.step).toBe(after.step);
    expect(again.doneItems).toBe(after.doneItems);
    await drainEvents();
    const file = await download(`/api/v1/me/exports/${id}/download`, user);
    expect(JSON.parse(file.text).profile.id).toBe(user.id);
  });
});

describe("the member list as a job", () => {
  it("builds the owner's CSV member list and serves it to that owner only", async () => {
    const community = await makeCommunity();
    const members = await Promise.all(Array.from({ length: 8 }, () => createUser()));
    for (const m of members) await addMember(community, { user: m });
    const admin = members[0]!;
    expect((await call(`/api/v1/communities/${community.slug}/members/${admin.id}`, { as: community.owner, method: "PATCH", body: { role: "admin" } })).status).toBe(200);

    const started = await call(`/api/v1/communities/${community.slug}/exports`, { as: community.owner, method: "POST", body: { format: "csv" } });
    expect(started.status).toBe(202);
    expect(started.body.export).toMatchObject({ kind: "members", format: "csv", status: "pending" });
    await drainEvents();
    const id = started.body.export.id;
    const ready = await call(`/api/v1/communities/${community.slug}/exports/${id}`, { as: community.owner });
    expect(ready.body.export.downloadUrl).toBe(`/api/v1/communities/${community.slug}/exports/${id}/download`);
    const file = await download(ready.body.export.downloadUrl, community.owner);
    expect(file.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(file.headers.get("Content-Disposition")).toBe(`attachment; filename="${community.slug}-members.csv"`);
    const inline = await call(`/api/v1/communities/${community.slug}/export`, { as: community.owner, headers: { Accept: "text/csv" } });
    expect(file.text).toBe(inline.body);
    expect(file.text.trimEnd().split("\r\n")).toHaveLength(1 + 9);

    // an admin may not start, see or download it; a non-member does not learn the community exists
    expect((await call(`/api/v1/communities/${community.slug}/exports`, { as: admin, method: "POST" })).status).toBe(403);
    expect((await call(`/api/v1/communities/${community.slug}/exports/${id}`, { as: admin })).status).toBe(403);
    expect((await download(`/api/v1/communities/${community.slug}/exports/${id}/download`, admin)).status).toBe(403);
    const stranger = await createUser();
    expect((await call(`/api/v1/communities/${community.slug}/exports/${id}`, { as: stranger })).status).toBe(404);
    // another community's owner cannot reach it through their own community
    const elsewhere = await makeCommunity();
    expect((await call(`/api/v1/communities/${elsewhere.slug}/exports/${id}`, { as: elsewhere.owner })).status).toBe(404);
    expect((await download(`/api/v1/communities/${elsewhere.slug}/exports/${id}/download`, elsewhere.owner)).status).toBe(404);
  });

  it("stops serving the member list to a former owner after a transfer", async () => {
    const community = await makeCommunity();
    const heir = await createUser();
    await addMember(community, { user: heir });
    const { body } = await call(`/api/v1/communities/${community.slug}/exports`, { as: community.owner, method: "POST" });
    await drainEvents();
    expect((await call(`/api/v1/communities/${community.slug}/transfer`, { as: community.owner, body: { userId: heir.id } })).status).toBe(200);
    expect((await download(`/api/v1/communities/${community.slug}/exports/${body.export.id}/download`, community.owner)).status).toBe(403);
    // the heir did not ask for it: not theirs either
    expect((await download(`/api/v1/communities/${community.slug}/exports/${body.export.id}/download`, heir)).status).toBe(404);
  });

  it("refuses a format it does not know", async () => {
    const community = await makeCommunity();
    const res = await call(`/api/v1/communities/${community.slug}/exports`, { as: community.owner, method: "POST", body: { format: "xlsx" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
  });
});

describe("the one-response exports hand over to a job when the data is too large", () => {
  it("GET /me/export answers 202 with a job past 10,000 items, and the job holds them all", async () => {
    const community = await makeCommunity();
    const member = await createUser();
    await addMember(community, { user: member });
    // 10,001 reactions written straight to D1: more than one response should carry
    await db().run(sql`with recursive n(v) as (select 1 union all select v + 1 from n where v < 10001)
      insert into reactions (community_id, target_type, target_id, user_id, emoji) select ${community.id}, 'post', 'pst_r' || v, ${member.id}, '👍' from n`);
    const res = await call("/api/v1/me/export", { as: member });
    expect(res.status).toBe(202);
    expect(res.body.export).toMatchObject({ kind: "account", status: "pending" });
    expect(res.headers.get("Location")).toBe(`/api/v1/me/exports/${res.body.export.id}`);
  });

  it("GET /communities/:slug/export answers 202 with a CSV job past 10,000 members", async () => {
    const community = await makeCommunity();
    const stamp = Date.now().toString(36);
    await db().run(sql`with recursive n(v) as (select 1 union all select v + 1 from n where v < 10001)
      insert into users (id, email, name, name_folded) select 'usr_bulk' || ${stamp} || v, 'bulk' || ${stamp} || v || '@example.com', 'Bulk ' || v, 'bulk ' || v from n`);
    await db().run(sql`with recursive n(v) as (select 1 union all select v + 1 from n where v < 10001)
      insert into memberships (community_id, user_id, joined_at) select ${community.id}, 'usr_bulk' || ${stamp} || v, ${Date.now()} from n`);
    const res = await call(`/api/v1/communities/${community.slug}/export`, { as: community.owner, headers: { Accept: "text/csv" } });
    expect(res.status).toBe(202);
    expect(res.body.export).toMatchObject({ kind: "members", format: "csv" });
    expect(res.headers.get("Location")).toBe(`/api/v1/communities/${community.slug}/exports/${res.body.export.id}`);
  });
});

describe("racing requests", () => {
  it("makes one job of five requests sent at once, and spends one unit of the day's budget", async () => {
    const user = await createUser();
    const answers = await Promise.all(Array.from({ length: 5 }, () => call("/api/v1/me/exports", { as: user, method: "POST" })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.body.export.id)).size).toBe(1);
    const jobs = await db().select().from(schema.exportJobs).where(eq(schema.exportJobs.userId, user.id));
    expect(jobs).toHaveLength(1);
    const [counter] = await db().select().from(schema.rateCounters).where(eq(schema.rateCounters.key, `export:${user.id}`));
    expect(counter!.count).toBe(1);
  });
});

describe("an empty body is no body", () => {
  it("starts a member list with its defaults whether the POST has no body, an empty one, or an empty one typed as JSON or a form", async () => {
    const variants: Record<string, string>[] = [{}, { "Content-Length": "0" }, { "Content-Type": "application/json", "Content-Length": "0" }, { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "0" }];
    for (const headers of variants) {
      const community = await makeCommunity();
      const res = await SELF.fetch(`${ORIGIN}/api/v1/communities/${community.slug}/exports`, {
        method: "POST",
        headers: { Origin: ORIGIN, Cookie: community.owner.cookie, ...headers },
      });
      const body = (await res.json()) as { export: { format: string } };
      expect(res.status, JSON.stringify(headers)).toBe(202);
      expect(body.export.format).toBe("json");
    }
  });
});

describe("the one-response exports are bounded by size and never spend the budget", () => {
  it("hands an archive of fewer than 10,000 items but more than 16 MB to a job (202)", async () => {
    const community = await makeCommunity();
    const member = await createUser();
    await addMember(community, { user: member });
    const space = await makeSpace(community);
    // 450 posts of 40,000 characters: 18 MB in 450 items
    const body = "長文".repeat(20_000);
    for (let i = 0; i < 450; i += 50) {
      await db().run(sql`with recursive n(v) as (select ${i} union all select v + 1 from n where v < ${i + 49})
        insert into posts (id, community_id, space_id, author_id, title, body, excerpt, created_at)
        select 'pst_long_' || ${member.id} || '_' || v, ${community.id}, ${space.id}, ${member.id}, 'Long ' || v, ${body}, '', ${Date.now()} from n`);
    }
    const res = await call("/api/v1/me/export", { as: member });
    expect(res.status).toBe(202);
    expect(res.body.export.kind).toBe("account");
  });

  it("answers repeated GETs past the limit with one job, reused for an hour once ready, spending no budget", async () => {
    const member = await createUser();
    const community = await makeCommunity();
    await addMember(community, { user: member });
    await db().run(sql`with recursive n(v) as (select 1 union all select v + 1 from n where v < 10001)
      insert into reactions (community_id, target_type, target_id, user_id, emoji) select ${community.id}, 'post', 'pst_g' || v, ${member.id}, '👍' from n`);
    const first = await call("/api/v1/me/export", { as: member });
    const second = await call("/api/v1/me/export", { as: member });
    expect(first.status).toBe(202);
    expect(second.body.export.id).toBe(first.body.export.id);
    await db().update(schema.exportJobs).set({ status: "ready", expiresAt: new Date(Date.now() + 3_600_000) }).where(eq(schema.exportJobs.id, first.body.export.id));
    const third = await call("/api/v1/me/export", { as: member });
    expect(third.body.export).toMatchObject({ id: first.body.export.id, status: "ready" });
    const counters = await db().select().from(schema.rateCounters).where(eq(schema.rateCounters.key, `export:${member.id}`));
    expect(counters).toEqual([]);
  });

  it("refuses every one of twelve racing requests once the day's budget is spent, and leaves no job behind", async () => {
    const user = await createUser();
    await db().insert(schema.rateCounters).values({ key: `export:${user.id}`, count: 10, windowEndsAt: new Date(Date.now() + 3_600_000) });
    const answers = await Promise.all(Array.from({ length: 12 }, () => call("/api/v1/me/exports", { as: user, method: "POST" })));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(429));
    expect(await db().select().from(schema.exportJobs).where(eq(schema.exportJobs.userId, user.id))).toEqual([]);
  });
});
