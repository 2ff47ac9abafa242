// Issue 10 §3: an upload given a space (or a DM conversation) is served only to those who may
// read it now, privately cached; untied uploads stay public. The audience is what was given at
// upload, wherever the URL is pasted later.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { newId } from "../../workers/lib/ids";
import { addMember, db, expectError, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { call, createUser, type TestUser } from "../helpers";
import { env } from "cloudflare:workers";
import { fetchUpload, keyOf, png, postUpload } from "../upload-fixtures";

const PNG = png();

/** A private community with a VIP space, its VIP member and a free member. */
async function vipSetup() {
  const c = await makeCommunity();
  const vipSpace = await makeSpace(c, { minTier: "vip", name: "VIP lounge" });
  const vip = await addMember(c, { paidTier: "vip" });
  const free = await addMember(c);
  const res = await postUpload(vip, PNG, { spaceId: vipSpace.id });
  expect(res.status).toBe(201);
  return { c, vipSpace, vip, free, url: res.body.url as string };
}

const setMembership = (c: TestCommunity, user: TestUser, change: Partial<typeof schema.memberships.$inferInsert>) =>
  db()
    .update(schema.memberships)
    .set(change)
    .where(and(eq(schema.memberships.communityId, c.id), eq(schema.memberships.userId, user.id)));

describe("POST /uploads with spaceId or conversationId", () => {
  it("records the space of an upload whose uploader may read it", async () => {
    const { vipSpace, vip, url } = await vipSetup();
    const [row] = await db().select().from(schema.uploads).where(eq(schema.uploads.key, keyOf(url)));
    expect(row).toMatchObject({ userId: vip.id, spaceId: vipSpace.id, conversationId: null });
  });

  it("refuses spaceId and conversationId together with 400, naming the rule", async () => {
    const user = await createUser();
    const res = await postUpload(user, PNG, { spaceId: "spc_x", conversationId: "cnv_x" });
    expectError(res, 400, "validation_failed");
    expect(res.body.error.issues).toEqual([expect.objectContaining({ path: "conversationId", code: "space_and_conversation" })]);
  });

  it("answers 404 for a space the uploader may not know of, and for one that does not exist", async () => {
    const c = await makeCommunity();
    const space = await makeSpace(c);
    const stranger = await createUser();
    expectError(await postUpload(stranger, PNG, { spaceId: space.id }), 404, "not_found");
    expectError(await postUpload(stranger, PNG, { spaceId: "spc_nothing" }), 404, "not_found");
    const listed = await addMember(c);
    const hidden = await makeSpace(c, { private: true, memberIds: [] });
    expectError(await postUpload(listed, PNG, { spaceId: hidden.id }), 404, "not_found");
    expect(await db().select().from(schema.uploads).where(eq(schema.uploads.userId, stranger.id))).toHaveLength(0);
  });

  it("answers 403 tier_required for a space above the uploader's tier", async () => {
    const c = await makeCommunity();
    const vipSpace = await makeSpace(c, { minTier: "vip" });
    const free = await addMember(c);
    const res = await postUpload(free, PNG, { spaceId: vipSpace.id });
    expectError(res, 403, "tier_required");
    expect(res.body.error.requiredTier).toBe("vip");
    expect((await env.UPLOADS.list({ prefix: `u/${free.id}/` })).objects).toHaveLength(0);
  });

  it("answers 404 for any conversationId until DM conversations exist (issue 13)", async () => {
    const user = await createUser();
    expectError(await postUpload(user, PNG, { conversationId: "cnv_anything" }), 404, "not_found");
    expect(await db().select().from(schema.uploads).where(eq(schema.uploads.userId, user.id))).toHaveLength(0);
  });
});

describe("GET /uploads/:key of a space's upload", () => {
  it("serves a reader of the space, privately cached for 5 minutes and varying by cookie", async () => {
    const { vip, url } = await vipSetup();
    const res = await fetchUpload(url, vip);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("private, max-age=300");
    expect(res.headers.get("Vary")).toBe("Cookie");
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(res.bytes).toEqual(PNG);
  });

  it("answers 404, never 403, to a member below the tier, a non-member and a signed-out visitor", async () => {
    const { free, url } = await vipSetup();
    for (const who of [free, await createUser(), null]) {
      const res = await fetchUpload(url, who);
      expect(res.status).toBe(404);
      expect(JSON.parse(new TextDecoder().decode(res.bytes)).error.code).toBe("not_found");
    }
  });

  it("stops serving a member who is removed, is banned or whose tier lapses", async () => {
    const { c, url } = await vipSetup();
    const removed = await addMember(c, { paidTier: "vip" });
    const banned = await addMember(c, { paidTier: "vip" });
    const lapsed = await addMember(c, { paidTier: "vip" });
    for (const who of [removed, banned, lapsed]) expect((await fetchUpload(url, who)).status).toBe(200);
    await setMembership(c, removed, { status: "removed" });
    await setMembership(c, banned, { status: "banned" });
    await setMembership(c, lapsed, { paidTier: "free" });
    for (const who of [removed, banned, lapsed]) expect((await fetchUpload(url, who)).status).toBe(404);
  });

  it("in a private space serves those listed and admins, not other members", async () => {
    const c = await makeCommunity();
    const listed = await addMember(c);
    const other = await addMember(c);
    const admin = await addMember(c, { role: "admin" });
    const space = await makeSpace(c, { private: true, memberIds: [listed.id] });
    const { body } = await postUpload(listed, PNG, { spaceId: space.id });
    expect((await fetchUpload(body.url, listed)).status).toBe(200);
    expect((await fetchUpload(body.url, admin)).status).toBe(200);
    expect((await fetchUpload(body.url, other)).status).toBe(404);
  });

  it("serves a signed-out visitor when the space is open to them (a public community's free space)", async () => {
    const c = await makeCommunity({ visibility: "public" });
    const space = await makeSpace(c);
    const { body } = await postUpload(c.owner, PNG, { spaceId: space.id });
    const res = await fetchUpload(body.url, null);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("private, max-age=300");
  });

  it("follows the space given at upload, not the post its URL is pasted into", async () => {
    const { c, vip, free, url } = await vipSetup();
    const general = await makeSpace(c, { name: "General" });
    await writePost(general, vip, { body: `Look: ![](${url})` });
    expect((await fetchUpload(url, free)).status).toBe(404);
    // and a public image pasted into the VIP space stays public
    const { body } = await postUpload(vip, PNG);
    expect((await fetchUpload(body.url, null)).status).toBe(200);
  });

  it("answers 304 to a reader's matching If-None-Match, and still 404 to anyone else", async () => {
    const { vip, free, url } = await vipSetup();
    const first = await fetchUpload(url, vip);
    const etag = first.headers.get("ETag")!;
    expect(etag).toBeTruthy();
    const again = await fetchUpload(url, vip, { "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(again.headers.get("Cache-Control")).toBe("private, max-age=300");
    expect((await fetchUpload(url, free, { "If-None-Match": etag })).status).toBe(404);
    expect((await fetchUpload(url, vip, { "If-None-Match": '"something-else"' })).status).toBe(200);
  });

  it("answers 304 to a matching If-None-Match on a public upload too", async () => {
    const user = await createUser();
    const { body } = await postUpload(user, PNG);
    const etag = (await fetchUpload(body.url, null)).headers.get("ETag")!;
    const again = await fetchUpload(body.url, null, { "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("Cache-Control")).toBe("public, max-age=3600");
  });

  it("serves a conversation's upload to no one until conversations exist, not even its uploader", async () => {
    const user = await createUser();
    const { body } = await postUpload(user, PNG);
    await db().update(schema.uploads).set({ conversationId: newId("cnv") }).where(eq(schema.uploads.key, keyOf(body.url)));
    expect((await fetchUpload(body.url, user)).status).toBe(404);
  });
});

describe("uploads in the account", () => {
  it("lists each upload's spaceId and conversationId in the export", async () => {
    const { vipSpace, vip, url } = await vipSetup();
    const avatar = (await postUpload(vip, PNG)).body.url;
    const archive = (await call("/api/v1/me/export", { as: vip })).body;
    expect(archive.uploads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ url, spaceId: vipSpace.id, conversationId: null }),
        expect.objectContaining({ url: avatar, spaceId: null, conversationId: null }),
      ]),
    );
  });

  it("refuses a space's upload as an avatar: an avatar is shown to everyone", async () => {
    const { vip, url } = await vipSetup();
    const res = await call("/api/v1/me", { method: "PATCH", as: vip, body: { avatarUrl: url } });
    expectError(res, 400, "validation_failed");
    expect(res.body.error.issues[0]).toMatchObject({ path: "avatarUrl", code: "not_your_upload" });
    const avatar = (await postUpload(vip, PNG)).body.url;
    expect((await call("/api/v1/me", { method: "PATCH", as: vip, body: { avatarUrl: avatar } })).status).toBe(200);
  });
});
