// Every route the OpenAPI document lists, walked: a route that is not public answers 401 to a
// signed-out caller, and a signed-in non-member of a private community gets exactly the same
// answer (status and error code) for the real ids of that community's objects as for made-up
// ids of the same shape — so no route tells an outsider that a private thing exists (API.md,
// Visibility). A route added later is walked too: it must be public on purpose (listed below)
// or answer like the rest.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { newId, randomToken } from "../../workers/lib/ids";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, unique, type TestUser } from "../helpers";
import { keyOf, png, postUpload } from "../upload-fixtures";
import { PUBLIC_ROUTES } from "../../workers/api/public-routes";

const PUBLIC = PUBLIC_ROUTES;
/**
 * Routes whose path id is itself the credential: whoever holds an invite code may preview and
 * accept it, so a real code answers differently from a made-up one by design.
 */
const BEARER = new Set(["GET /api/v1/invites/{code}", "POST /api/v1/invites/{code}/accept"]);

type Ids = {
  slug: string;
  communityId: string;
  spaceId: string;
  postId: string;
  commentId: string;
  userId: string;
  code: string;
  uploadKey: string;
  communityExportId: string;
  myExportId: string;
  eventId: string;
  /** a chat space (the chat routes' {spaceId}) and a message in it */
  chatSpaceId: string;
  messageId: string;
  /** a DM conversation (the owner and the member) */
  conversationId: string;
  /** a Stripe Checkout Session whose subscription landed (the owner's) */
  sessionId: string;
};

/** Routes without path parameters whose body names a community's thing: walked like the rest. */
const IDS_IN_BODY = new Set(["PUT /api/v1/me/consents", "POST /api/v1/uploads"]);

/** A body that passes each route's schema, so the request reaches its access check. */
const bodies: Record<string, (ids: Ids) => unknown> = {
  "POST /api/v1/communities": () => ({ slug: unique("walk-"), name: "Walked", visibility: "private" }),
  "PATCH /api/v1/communities/{slug}": () => ({ name: "Renamed" }),
  "POST /api/v1/communities/{slug}/transfer": (ids) => ({ userId: ids.userId }),
  "PATCH /api/v1/communities/{slug}/tiers/{key}": () => ({ name: "Renamed" }),
  "PATCH /api/v1/communities/{slug}/members/{userId}": () => ({ role: "moderator" }),
  "POST /api/v1/communities/{slug}/bans": (ids) => ({ userId: ids.userId, reason: "walk" }),
  "POST /api/v1/communities/{slug}/invites": () => ({}),
  "PATCH /api/v1/me": () => ({ bio: "walked" }),
  "DELETE /api/v1/me": () => ({ password: "not the password" }),
  "PUT /api/v1/me/consents": (ids) => ({ items: [{ community: ids.communityId, purpose: "marketing_email", granted: true }] }),
  "POST /api/v1/communities/{slug}/spaces": () => ({ name: "Walked", kind: "discussion" }),
  "POST /api/v1/communities/{slug}/spaces/reorder": (ids) => ({ spaceIds: [ids.spaceId] }),
  "PATCH /api/v1/spaces/{spaceId}": () => ({ name: "Renamed" }),
  "POST /api/v1/spaces/{spaceId}/members": (ids) => ({ userIds: [ids.userId] }),
  "POST /api/v1/spaces/{spaceId}/posts": () => ({ title: "Walked", body: "text" }),
  "PATCH /api/v1/posts/{postId}": () => ({ title: "Renamed" }),
  "POST /api/v1/posts/{postId}/pin": () => ({}),
  "POST /api/v1/posts/{postId}/lock": () => ({}),
  "POST /api/v1/posts/{postId}/hide": () => ({}),
  "POST /api/v1/posts/{postId}/comments": () => ({ body: "walked" }),
  "PATCH /api/v1/comments/{commentId}": () => ({ body: "edited" }),
  "POST /api/v1/spaces/{spaceId}/messages": () => ({ body: "walked" }),
  "PATCH /api/v1/messages/{messageId}": () => ({ body: "edited" }),
  "POST /api/v1/communities/{slug}/conversations": (ids) => ({ memberIds: [ids.userId] }),
  "PATCH /api/v1/conversations/{conversationId}": () => ({ name: "Renamed" }),
  "POST /api/v1/conversations/{conversationId}/messages": () => ({ body: "walked" }),
  "PUT /api/v1/communities/{slug}/dm-settings": () => ({ policy: "nobody" }),
  "POST /api/v1/communities/{slug}/blocks": (ids) => ({ userId: ids.userId }),
  "PATCH /api/v1/spaces/{spaceId}/chat": () => ({ slowModeSeconds: 5 }),
  "PUT /api/v1/spaces/{spaceId}/chat/notifications": () => ({ level: "all" }),
  "POST /api/v1/comments/{commentId}/hide": () => ({}),
  "POST /api/v1/me/notifications/read": () => ({}),
  "POST /api/v1/communities/{slug}/exports": () => ({}),
  "POST /api/v1/auth/signup": () => ({ name: "Walker", email: `${unique("walk")}@example.com`, password: "long enough password" }),
  "POST /api/v1/auth/login": () => ({ email: "nobody@example.com", password: "wrong" }),
  "POST /api/v1/auth/password-reset": () => ({ email: "nobody@example.com" }),
  "POST /api/v1/auth/password-reset/confirm": () => ({ token: "not-a-token", password: "long enough password" }),
  "POST /api/v1/auth/verify-email": () => ({ token: "not-a-token" }),
};

/** The path with its parameters filled from `ids`. */
function fill(path: string, ids: Ids): string {
  const value = (name: string) => {
    if (name === "key") return path.startsWith("/api/v1/uploads/") ? ids.uploadKey : "member"; // a tier key is no secret
    if (name === "emoji") return encodeURIComponent("👍");
    if (name === "q") return "Hello"; // a search for the private post's title
    if (name === "id") return path.startsWith("/api/v1/me/") ? ids.myExportId : ids.communityExportId;
    const known: Record<string, string> = {
      slug: ids.slug,
      // the chat routes take a chat space; the rest a discussion space
      spaceId: /\/spaces\/\{spaceId\}\/(messages|socket|chat)/.test(path) ? ids.chatSpaceId : ids.spaceId,
      messageId: ids.messageId,
      postId: ids.postId,
      commentId: ids.commentId,
      userId: ids.userId,
      code: ids.code,
      eventId: ids.eventId,
      conversationId: ids.conversationId,
      sessionId: ids.sessionId,
    };
    if (!(name in known)) throw new Error(`route-inventory: no id for {${name}} in ${path}; add one`);
    return known[name];
  };
  return path.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
}

type Route = { method: string; path: string; label: string; contentType: string | null; query: string[] };
type Operation = {
  requestBody?: { content: Record<string, unknown> };
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: { example?: unknown } }>;
};

async function routes(): Promise<Route[]> {
  const { body } = await call("/api/v1/openapi.json");
  return Object.entries<Record<string, Operation>>(body.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      label: `${method.toUpperCase()} ${path}`,
      contentType: op.requestBody ? Object.keys(op.requestBody.content)[0] : null,
      query: (op.parameters ?? []).filter((p) => p.in === "query" && p.required).map((p) => p.name),
    })),
  );
}

/** One request to `route` with `ids` as `as`; the answer's status and error code. */
async function ask(route: Route, ids: Ids, as: TestUser | null): Promise<{ status: number; code: string | null }> {
  let res: { status: number; body: unknown };
  if (route.contentType === "multipart/form-data") {
    // the one multipart route (IDS_IN_BODY): an upload tied to a space of the community
    res = await postUpload(as, png(), { spaceId: ids.spaceId });
  } else {
    const body = bodies[route.label]?.(ids) ?? (route.contentType ? {} : undefined);
    // required query parameters are filled like path ones (an id there is as telling as in the path)
    const query = route.query.map((name) => `${name}=${fill(`{${name}}`, ids)}`).join("&");
    res = await call(fill(route.path, ids) + (query ? `?${query}` : ""), { method: route.method, as, body });
  }
  const code = (res.body as { error?: { code?: string } } | null)?.error?.code ?? null;
  return { status: res.status, code };
}

let owner: TestUser;
let outsider: TestUser;
let community: TestCommunity;
let real: Ids;
let member: TestUser;
let privateSpace: Ids;
let all: Route[];

/** Made-up ids shaped like the real ones: nothing exists under them. */
const madeUp = (): Ids => ({
  slug: unique("club-"),
  communityId: newId("com"),
  spaceId: newId("spc"),
  postId: newId("pst"),
  commentId: newId("cmt"),
  userId: newId("usr"),
  code: randomToken(8),
  uploadKey: `u/${newId("usr")}/${randomToken(16)}.png`,
  communityExportId: newId("exp"),
  myExportId: newId("exp"),
  eventId: newId("evt"),
  chatSpaceId: newId("spc"),
  messageId: `msg_1_${newId("spc")}`,
  conversationId: newId("dm"),
  sessionId: `cs_${randomToken(16)}`,
});

beforeAll(async () => {
  owner = await createUser();
  outsider = await createUser();
  community = await makeCommunity({ owner, visibility: "private" });
  member = await addMember(community);
  const space = await makeSpace(community);
  const post = await writePost(space, owner);
  const comment = await writeComment(post.id, owner, "a comment");
  const invite = await call(`/api/v1/communities/${community.slug}/invites`, { as: owner, body: {} });
  const upload = await postUpload(owner, png(), { spaceId: space.id });
  const communityExport = await call(`/api/v1/communities/${community.slug}/exports`, { as: owner, body: {} });
  const myExport = await call("/api/v1/me/exports", { as: owner, method: "POST" });
  const chat = await makeSpace(community, { kind: "chat", name: "Lounge" });
  const message = await call(`/api/v1/spaces/${chat.id}/messages`, { as: owner, body: { body: "hello" } });
  const conversation = await call(`/api/v1/communities/${community.slug}/conversations`, { as: owner, body: { memberIds: [member.id] } });
  const [event] = await getDb(env).select({ id: schema.domainEvents.id }).from(schema.domainEvents).where(eq(schema.domainEvents.communityId, community.id)).limit(1);
  expect([invite.status, upload.status, communityExport.status, myExport.status, conversation.status]).toEqual([201, 201, 202, 202, 201]);
  real = {
    slug: community.slug,
    communityId: community.id,
    spaceId: space.id,
    postId: post.id,
    commentId: comment.id,
    userId: member.id,
    code: invite.body.code,
    uploadKey: keyOf(upload.body.url),
    communityExportId: communityExport.body.export.id,
    myExportId: myExport.body.export.id,
    eventId: event.id,
    chatSpaceId: chat.id,
    messageId: message.body.message.id,
    conversationId: conversation.body.conversation.id,
    sessionId: `cs_${randomToken(16)}`,
  };
  // the owner's checkout, landed: its subscription row names the session
  await getDb(env).insert(schema.subscriptions).values({
    id: `sub_${randomToken(12)}`, communityId: community.id, userId: owner.id, tierKey: "vip", stripePriceId: "price_walk", interval: "month",
    currency: "usd", status: "active", checkoutSessionId: real.sessionId, createdAt: new Date(), updatedAt: new Date(),
  });
  // a private space of the same community that `member` is not listed in, with its own things
  const hidden = await makeSpace(community, { private: true, name: "Owners only" });
  const hiddenPost = await writePost(hidden, owner, { title: "Hidden" });
  const hiddenComment = await writeComment(hiddenPost.id, owner, "hidden comment");
  const hiddenUpload = await postUpload(owner, png(), { spaceId: hidden.id });
  expect(hiddenUpload.status).toBe(201);
  const hiddenChat = await makeSpace(community, { kind: "chat", private: true, name: "Owners' lounge" });
  const hiddenMessage = await call(`/api/v1/spaces/${hiddenChat.id}/messages`, { as: owner, body: { body: "hidden" } });
  privateSpace = {
    ...real,
    spaceId: hidden.id,
    postId: hiddenPost.id,
    commentId: hiddenComment.id,
    uploadKey: keyOf(hiddenUpload.body.url),
    chatSpaceId: hiddenChat.id,
    messageId: hiddenMessage.body.message.id,
  };
  all = await routes();
});

describe("the route inventory (GET /api/v1/openapi.json)", () => {
  it("lists the routes this test knows how to fill, and every public one it names exists", () => {
    const labels = new Set(all.map((r) => r.label));
    for (const label of [...PUBLIC, ...BEARER, ...IDS_IN_BODY, ...Object.keys(bodies)]) expect(labels, label).toContain(label);
    for (const route of all) expect(() => [fill(route.path, real), ...route.query.map((q) => fill(`{${q}}`, real))]).not.toThrow();
  });

  it("answers 401 unauthenticated to a signed-out caller on every route that is not public", async () => {
    const wrong: string[] = [];
    for (const route of all.filter((r) => !PUBLIC.has(r.label))) {
      for (const ids of [real, madeUp()]) {
        const got = await ask(route, ids, null);
        if (got.status !== 401 || got.code !== "unauthenticated") wrong.push(`${route.label}: ${got.status} ${got.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("answers 401 before 400: a signed-out caller's malformed body or query on a route that is not public is never judged", async () => {
    const wrong: string[] = [];
    const judged = all.filter((r) => !PUBLIC.has(r.label) && r.contentType !== "multipart/form-data" && (r.contentType || r.method === "GET"));
    for (const route of judged) {
      // a JSON array fits no body schema here; a negative limit and a malformed cursor no query schema
      const body = route.contentType ? [1, "not an object"] : undefined;
      const res = await call(`${fill(route.path, real)}?limit=-5&cursor=%25%25`, { method: route.method, as: null, body });
      const code = (res.body as { error?: { code?: string } } | null)?.error?.code ?? null;
      if (res.status !== 401 || code !== "unauthenticated") wrong.push(`${route.label}: ${res.status} ${code}`);
    }
    expect(judged.length).toBeGreaterThan(40);
    expect(wrong).toEqual([]);
  });

  it("gives a non-member the same answer for a private community's real ids as for made-up ones", async () => {
    const differ: string[] = [];
    for (const route of all.filter((r) => r.path.includes("{") || r.query.length > 0 || IDS_IN_BODY.has(r.label))) {
      if (BEARER.has(route.label)) continue;
      const [forReal, forMadeUp] = [await ask(route, real, outsider), await ask(route, madeUp(), outsider)];
      if (forReal.status !== forMadeUp.status || forReal.code !== forMadeUp.code) {
        differ.push(`${route.label}: real ${forReal.status} ${forReal.code}, made-up ${forMadeUp.status} ${forMadeUp.code}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("gives a member the same answer for a private space's real ids (they are not listed in it) as for made-up ones", async () => {
    const differ: string[] = [];
    const aboutSpace = /\{(spaceId|postId|commentId)\}|^\/api\/v1\/uploads/;
    for (const route of all.filter((r) => aboutSpace.test(r.path) || r.query.includes("spaceId"))) {
      // the community is real for both: only the space's own things differ
      const fake = { ...madeUp(), slug: real.slug, communityId: real.communityId, userId: real.userId };
      const [forReal, forMadeUp] = [await ask(route, privateSpace, member), await ask(route, fake, member)];
      if (forReal.status !== forMadeUp.status || forReal.code !== forMadeUp.code) {
        differ.push(`${route.label}: real ${forReal.status} ${forReal.code}, made-up ${forMadeUp.status} ${forMadeUp.code}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("gives a signed-out caller the same answer for a private community's real ids as for made-up ones on public routes", async () => {
    const differ: string[] = [];
    for (const route of all.filter((r) => PUBLIC.has(r.label) && r.path.includes("{") && !BEARER.has(r.label))) {
      const [forReal, forMadeUp] = [await ask(route, real, null), await ask(route, madeUp(), null)];
      if (forReal.status !== forMadeUp.status || forReal.code !== forMadeUp.code) {
        differ.push(`${route.label}: real ${forReal.status} ${forReal.code}, made-up ${forMadeUp.status} ${forMadeUp.code}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("still holds the private community's things after the walk: nothing an outsider sent changed them", async () => {
    const post = await call(`/api/v1/posts/${real.postId}`, { as: owner });
    expect(post.status).toBe(200);
    expect(post.body.post.title).toBe("Hello");
    const members = await call(`/api/v1/communities/${real.slug}/members`, { as: owner });
    expect(members.body.items.map((m: { user: { id: string }; role: string }) => [m.user.id, m.role]).sort()).toEqual(
      [
        [owner.id, "owner"],
        [real.userId, "member"],
      ].sort(),
    );
  });
});
