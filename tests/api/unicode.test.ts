// Unicode text hygiene at the API boundary (issue 7 §3): names with nothing visible, control
// characters or bidi overrides are refused on every surface that takes a name; all user text is
// stored NFC without stray control characters; search matches composed and decomposed text alike;
// mentions fold case beyond ASCII; rows stored before the rules are repaired by the backfill.
import { caseVariants } from "../../workers/domain/search/plan";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { TEXT_BACKFILL } from "../../workers/db/stored-text";
import { continueTextBackfill } from "../../workers/domain/jobs/text-backfill";
import { resolveMentions, tokenizeMentions } from "../../workers/domain/notifications/mentions";
import { indexDocument } from "../../workers/domain/search/index";
import { addMember, makeCommunity, type TestCommunity } from "../community-fixtures";
import { makeSpace, writePost } from "../discussion-fixtures";
import { call, createUser, PASSWORD, unique, type TestUser } from "../helpers";
import { drainEvents } from "../queue-fixtures";

const db = getDb(env);

/** Names refused, with the issue code each must answer. */
const badNames: Array<[label: string, name: string, code: string]> = [
  ["U+3164 HANGUL FILLER", "\u3164", "name_invisible"],
  ["U+200B ZERO WIDTH SPACE", "\u200B", "name_invisible"],
  ["U+2800 BRAILLE PATTERN BLANK", "\u2800", "name_invisible"],
  ["U+3164 between spaces", " \u3164 ", "name_invisible"],
  ["U+200B between spaces", " \u200B ", "name_invisible"],
  ["U+2800 between spaces", " \u2800 ", "name_invisible"],
  ["fillers and zero-width characters between spaces", " \u3164 \u200B\u00A0\uFFA0\u2060\uFEFF ", "name_invisible"],
  ["bidi marks and a lone variation selector", "\u200E\u200F\u061C\uFE0F", "name_invisible"],
  ["Hangul jamo fillers", "\u115F\u1160", "name_invisible"],
  ["a combining mark on a filler", "\u3164\u0301", "name_invisible"],
  ["a combining mark on a zero-width space", "\u200B\u0301", "name_invisible"],
  ["a combining mark after a space", " \u0301", "name_invisible"],
  ["a noncharacter beside a filler (the noncharacter goes at the boundary)", "\u3164\uFFFF", "name_invisible"],
  ["a private-use character alone", "\uE000", "name_invisible"],
  ["U+202E RIGHT-TO-LEFT OVERRIDE", "\u202E", "name_bidi_control"],
  ["U+202E between spaces", " \u202E ", "name_bidi_control"],
  ["an override inside a name", "Mei\u202Egnp.exe", "name_bidi_control"],
  ["a right-to-left isolate", "\u2067Mei\u2069", "name_bidi_control"],
  ["U+0000", "\u0000", "name_control_chars"],
  ["U+0000 between spaces", " \u0000 ", "name_control_chars"],
  ["U+0000 inside a name", "Mei\u0000Lin", "name_control_chars"],
  ["a line break", "Mei\nLin", "name_control_chars"],
  ["a C1 control", "Mei\u0085", "name_control_chars"],
];

/** Names accepted, with what is stored. */
const goodNames: Array<[label: string, name: string, stored: string]> = [
  ["Arabic", "مريم الخوري", "مريم الخوري"],
  ["Hebrew", "שרה כהן", "שרה כהן"],
  ["an emoji ZWJ sequence", "👩‍💻 Dev", "👩‍💻 Dev"],
  ["Zoë written decomposed (NFD in, NFC stored)", "Zoe\u0308", "Zo\u00EB"],
  ["Persian with a zero-width non-joiner", "می\u200Cخواهم", "می\u200Cخواهم"],
  ["a zero-width space inside a name (stripped)", "Mei\u200BLin", "MeiLin"],
  ["blanks of every kind (collapsed)", " Mei\u3000\u3164 Lin\u2800", "Mei Lin"],
];

type Surface = { label: string; send: (name: string) => Promise<{ status: number; body: any }>; stored: (body: any) => string };

let community: TestCommunity;
let space: { id: string };

async function surfaces(): Promise<Surface[]> {
  community ??= await makeCommunity();
  space ??= await makeSpace(community);
  const me: TestUser = await createUser();
  return [
    { label: "PATCH /me", send: (name) => call("/api/v1/me", { as: me, method: "PATCH", body: { name } }), stored: (b) => b.user.name },
    {
      label: "POST /communities",
      send: (name) => call("/api/v1/communities", { as: community.owner, body: { slug: unique("uni-"), name, visibility: "private" } }),
      stored: (b) => b.community.name,
    },
    {
      label: "PATCH /communities/:slug",
      send: (name) => call(`/api/v1/communities/${community.slug}`, { as: community.owner, method: "PATCH", body: { name } }),
      stored: (b) => b.community.name,
    },
    {
      label: "PATCH /communities/:slug/tiers/:key",
      send: (name) => call(`/api/v1/communities/${community.slug}/tiers/vip`, { as: community.owner, method: "PATCH", body: { name } }),
      stored: (b) => b.tier.name,
    },
    {
      label: "POST /communities/:slug/spaces",
      send: (name) => call(`/api/v1/communities/${community.slug}/spaces`, { as: community.owner, body: { name, kind: "discussion" } }),
      stored: (b) => b.space.name,
    },
    {
      label: "PATCH /spaces/:id",
      send: (name) => call(`/api/v1/spaces/${space.id}`, { as: community.owner, method: "PATCH", body: { name } }),
      stored: (b) => b.space.name,
    },
  ];
}

describe("names refuse nothing-visible, control and bidi-override characters on every surface", () => {
  it.each(badNames)("refuses %s with 400 and its code on every name field", async (_label, name, code) => {
    for (const surface of await surfaces()) {
      const res = await surface.send(name);
      expect(res.status, surface.label).toBe(400);
      expect(res.body.error.code, surface.label).toBe("validation_failed");
      expect(res.body.error.issues, surface.label).toEqual([expect.objectContaining({ path: "name", code })]);
    }
  });

  it.each(goodNames)("accepts %s and stores it cleaned, in NFC", async (_label, name, stored) => {
    for (const surface of await surfaces()) {
      const res = await surface.send(name);
      expect(res.status, surface.label).toBeLessThan(300);
      expect(surface.stored(res.body), surface.label).toBe(stored);
    }
  });

  it("leaves the stored name as it was when a change is refused", async () => {
    const user = await createUser({ name: "Mei Lin" });
    const refused = await call("/api/v1/me", { as: user, method: "PATCH", body: { name: "\u202Emalicious" } });
    expect(refused.status).toBe(400);
    expect((await call("/api/v1/me", { as: user })).body.user.name).toBe("Mei Lin");
  });

  it("applies the name rule at sign-up: U+3164 is refused, NFD Zoë is stored composed", async () => {
    const signUp = (name: string) =>
      call("/api/v1/auth/signup", {
        body: { email: `${unique("uni")}@example.com`, password: PASSWORD, name },
        headers: { "CF-Connecting-IP": unique("ip-") },
      });
    const refused = await signUp("\u3164");
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ path: "name", code: "name_invisible" })]);
    const bidi = await signUp("\u202EMei");
    expect(bidi.body.error.issues).toEqual([expect.objectContaining({ path: "name", code: "name_bidi_control" })]);
    const zoe = await signUp("Zoe\u0308");
    expect(zoe.status).toBe(201);
    expect(zoe.body.user.name).toBe("Zo\u00EB");
    const [row] = await db.select().from(schema.users).where(eq(schema.users.id, zoe.body.user.id));
    expect({ name: row.name, nameFolded: row.nameFolded }).toEqual({ name: "Zo\u00EB", nameFolded: "zo\u00EB" });
  });
});

describe("every name field of the API follows the name rule", () => {
  it("marks every `name` in every request body of the OpenAPI document as a NameField", async () => {
    const doc = (await call("/api/v1/openapi.json")).body;
    const resolve = (schema: any): any => (schema?.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema);
    const names: string[] = [];
    const walk = (schema: any, where: string, seen: Set<unknown>) => {
      schema = resolve(schema);
      if (!schema || typeof schema !== "object" || seen.has(schema)) return;
      seen.add(schema);
      for (const [key, value] of Object.entries<any>(schema.properties ?? {})) {
        if (key === "name") names.push(`${where} ${resolve(value)["x-enclave-text"] ?? "plain string"}`);
        walk(value, `${where}.${key}`, seen);
      }
      for (const part of [schema.items, ...(schema.anyOf ?? []), ...(schema.allOf ?? []), ...(schema.oneOf ?? [])]) walk(part, where, seen);
    };
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(methods)) {
        const body = op.requestBody?.content?.["application/json"]?.schema;
        if (body) walk(body, `${method.toUpperCase()} ${path}`, new Set());
      }
    }
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(names.filter((n) => !n.endsWith(" name"))).toEqual([]);
  });
});

describe("all user text is stored NFC, with line feeds and without control characters", () => {
  it("cleans a bio and a community description but keeps right-to-left text and tabs", async () => {
    const user = await createUser();
    const res = await call("/api/v1/me", { as: user, method: "PATCH", body: { bio: "Cafe\u0301\u0000 lover\r\nשלום\tעולם\u001b[31m" } });
    expect(res.status).toBe(200);
    expect(res.body.user.bio).toBe("Caf\u00E9 lover\nשלום\tעולם[31m");
    const c = await makeCommunity();
    const patched = await call(`/api/v1/communities/${c.slug}`, {
      as: c.owner,
      method: "PATCH",
      body: { description: "Line one\rLine two\u0007 \u202Bمرحبا\u202C" },
    });
    expect(patched.body.community.description).toBe("Line one\nLine two \u202Bمرحبا\u202C");
  });

  it("stores a post's title and body NFC and without U+0000", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const post = await writePost(sp, c.owner, { title: "Cre\u0300me bru\u0302le\u0301e", body: "Cafe\u0301\u0000 au lait" });
    const [row] = await db.select().from(schema.posts).where(eq(schema.posts.id, post.id));
    expect({ title: row.title, body: row.body }).toEqual({ title: "Cr\u00E8me br\u00FBl\u00E9e", body: "Caf\u00E9 au lait" });
  });

  it("refuses post titles with nothing visible or with bidi overrides (400, title_* codes), on create and edit", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const post = await writePost(sp, c.owner, { title: "Harvest notes", body: "Body" });
    const cases: Array<[string, string]> = [
      ["\u202E", "title_bidi_control"],
      ["RLOTITLE\u202E gnp.exe", "title_bidi_control"],
      ["\u2066a\u2069", "title_bidi_control"],
      ["\u200B", "title_invisible"],
      ["\u3164", "title_invisible"],
      [" \u3164\u0301 ", "title_invisible"],
      ["\u0000", "title_control_chars"],
    ];
    for (const [title, code] of cases) {
      const created = await call(`/api/v1/spaces/${sp.id}/posts`, { as: c.owner, body: { title, body: "x" } });
      expect(created.status, JSON.stringify(title)).toBe(400);
      expect(created.body.error.issues, JSON.stringify(title)).toEqual([expect.objectContaining({ path: "title", code })]);
      const edited = await call(`/api/v1/posts/${post.id}`, { as: c.owner, method: "PATCH", body: { title } });
      expect(edited.status, JSON.stringify(title)).toBe(400);
    }
    expect((await call(`/api/v1/posts/${post.id}`, { as: c.owner })).body.post.title).toBe("Harvest notes");
  });

  it("takes right-to-left titles and stores a title pasted across lines as one line", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const arabic = await call(`/api/v1/spaces/${sp.id}/posts`, { as: c.owner, body: { title: "مرحبا بالجميع", body: "x" } });
    expect(arabic.status).toBe(201);
    expect(arabic.body.post.title).toBe("مرحبا بالجميع");
    const pasted = await call(`/api/v1/spaces/${sp.id}/posts`, { as: c.owner, body: { title: "  Harvest\n\tnotes\u200B  ", body: "x" } });
    expect(pasted.status).toBe(201);
    expect(pasted.body.post.title).toBe("Harvest notes");
  });

  it("passes a password through unchanged, so a decomposed password still signs in as typed", async () => {
    const email = `${unique("pw")}@example.com`;
    const password = "pa\u0301ssword\u0000-long";
    const headers = { "CF-Connecting-IP": unique("ip-") };
    expect((await call("/api/v1/auth/signup", { body: { email, password, name: "Pat" }, headers })).status).toBe(201);
    expect((await call("/api/v1/auth/login", { body: { email, password }, headers })).status).toBe(200);
    // U+0000 is part of the password: without it, it is another password
    expect((await call("/api/v1/auth/login", { body: { email, password: "pa\u0301ssword-long" }, headers })).status).toBe(401);
  });
});

describe("search matches composed and decomposed text alike (GET /communities/:slug/search)", () => {
  const search = async (slug: string, q: string, as: TestUser) => {
    await drainEvents();
    const res = await call(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}`, { as });
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ id: string; snippet: string }>).map((hit) => hit.id);
  };

  it("finds a post written 'cafe\\u0301' (NFD) by searching 'café' (NFC), and the reverse", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const decomposed = await writePost(sp, c.owner, { title: "Morning", body: "The cafe\u0301 on the corner opens at seven." });
    const composed = await writePost(sp, c.owner, { title: "Evening", body: "Meet at the caf\u00E9 after work." });
    expect((await search(c.slug, "caf\u00E9", c.owner)).sort()).toEqual([decomposed.id, composed.id].sort());
    expect((await search(c.slug, "cafe\u0301", c.owner)).sort()).toEqual([decomposed.id, composed.id].sort());
  });

  it("cleans the query string at the boundary: a U+0000 in q does not stop 'café' from matching", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const post = await writePost(sp, c.owner, { title: "Corner", body: "The best caf\u00E9 in town." });
    expect(await search(c.slug, "\u0000cafe\u0301\u0000", c.owner)).toEqual([post.id]);
  });

  it("matches on the 1–2 character LIKE path as well", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const decomposed = await writePost(sp, c.owner, { title: "Ne\u0301", body: "short" });
    const composed = await writePost(sp, c.owner, { title: "N\u00E9", body: "short" });
    // "e\u0301" is two code units as sent and one character after NFC: the LIKE path either way
    expect((await search(c.slug, "\u00E9", c.owner)).sort()).toEqual([decomposed.id, composed.id].sort());
    expect((await search(c.slug, "e\u0301", c.owner)).sort()).toEqual([decomposed.id, composed.id].sort());
  });

  it("folds case beyond ASCII on the 1–2 character LIKE path: 'üb' and 'ÜB' find 'Über', 'σ' finds 'ΣΟΦΙΑ'", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const german = await writePost(sp, c.owner, { title: "Über den Tee", body: "Ein kurzer Text." });
    const greek = await writePost(sp, c.owner, { title: "ΣΟΦΙΑ", body: "ΟΝΟΜΑ" });
    const lower = await writePost(sp, c.owner, { title: "über alles", body: "klein" });
    expect((await search(c.slug, "üb", c.owner)).sort()).toEqual([german.id, lower.id].sort());
    expect((await search(c.slug, "ÜB", c.owner)).sort()).toEqual([german.id, lower.id].sort());
    expect(await search(c.slug, "σ", c.owner)).toEqual([greek.id]);
    // beside a trigram term, the short term filters with the same folding
    expect(await search(c.slug, "ÜB kurzer", c.owner)).toEqual([german.id]);
  });
});

describe("caseVariants (the LIKE path's spellings of a short term)", () => {
  it("enumerates the cases of non-ASCII letters and leaves ASCII and caseless text to LIKE", () => {
    expect(caseVariants("é").sort()).toEqual(["É", "é"]);
    expect(caseVariants("ÜB").sort()).toEqual(["ÜB", "üB"]);
    expect(caseVariants("ab")).toEqual(["ab"]);
    expect(caseVariants("付費")).toEqual(["付費"]);
    // ß's upper case is "SS": another length, so ß stands for itself
    expect(caseVariants("ß")).toEqual(["ß"]);
    // three forms each (ǅ: ǆ, Ǆ) would make nine spellings: past the bound, the term as typed
    expect(caseVariants("ǅǅ")).toEqual(["ǅǅ"]);
  });
});

describe("mentions fold case in every script, through users.name_folded", () => {
  it("resolves @éLODIE and @zoë to members named Élodie and ZOË", async () => {
    const c = await makeCommunity();
    const elodie = await addMember(c, { user: await createUser({ name: "\u00C9lodie" }) });
    const zoe = await addMember(c, { user: await createUser({ name: "ZO\u00CB" }) });
    const tokenized = await tokenizeMentions(env, c.id, "thanks @\u00E9LODIE and @zo\u00EB!");
    expect(tokenized).toBe(`thanks <@${elodie.id}> and <@${zoe.id}>!`);
    expect(await resolveMentions(env, c.id, tokenized)).toEqual([elodie.id, zoe.id]);
  });

  it("keeps the folded name in step on PATCH /me and erasure", async () => {
    const user = await createUser();
    await call("/api/v1/me", { as: user, method: "PATCH", body: { name: "\u0130LKER Stra\u00DFe" } });
    const [patched] = await db.select().from(schema.users).where(eq(schema.users.id, user.id));
    expect(patched.nameFolded).toBe("i\u0307lker strasse");
    expect((await call("/api/v1/me", { as: user, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    const [erased] = await db.select().from(schema.users).where(eq(schema.users.id, user.id));
    expect({ name: erased.name, nameFolded: erased.nameFolded }).toEqual({ name: "Deleted member", nameFolded: "deleted member" });
  });
});

describe("the text backfill repairs rows stored before the rules, in bounded steps", () => {
  it("normalises raw rows, fills name_folded, re-indexes search, and records that it is done", async () => {
    const c = await makeCommunity();
    const sp = await makeSpace(c);
    const post = await writePost(sp, c.owner, { title: "Old post", body: "placeholder" });
    // rows as the API wrote them before the rules: NFD, controls, a bidi override, no folded name
    const raw = await createUser();
    await env.DB.batch([
      env.DB.prepare("UPDATE users SET name = ?, name_folded = NULL, bio = ? WHERE id = ?").bind("Zoe\u0308\u200B ", "bio\u0000 ok", raw.id),
      env.DB.prepare("UPDATE communities SET name = ? WHERE id = ?").bind("\u202ETea\u0000 Club", c.id),
      env.DB.prepare("UPDATE spaces SET name = ? WHERE id = ?").bind("\u3164", sp.id),
      env.DB.prepare("UPDATE posts SET body = ? WHERE id = ?").bind("Best cafe\u0301 in town\r\n", post.id),
    ]);
    const stale = { docId: post.id, kind: "post" as const, communityId: c.id, spaceId: sp.id, postId: post.id, createdAt: Date.now() };
    await indexDocument(env, { ...stale, title: "Old post", body: "Best cafe\u0301 in town" });
    // the index written before the rules holds NFD text, which a (normalised) query cannot find
    const before = await call(`/api/v1/communities/${c.slug}/search?q=${encodeURIComponent("café")}`, { as: c.owner });
    expect(before.body.items).toEqual([]);
    await env.DB.prepare("DELETE FROM backfills WHERE name = ?").bind(TEXT_BACKFILL).run();

    const steps = [];
    for (let i = 0; i < 100; i++) {
      const step = await continueTextBackfill(env, 260);
      steps.push(step);
      expect(step.queries).toBeLessThanOrEqual(260);
      if (step.done) break;
    }
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.at(-1)?.done).toBe(true);

    const [user] = await db.select().from(schema.users).where(eq(schema.users.id, raw.id));
    expect({ name: user.name, nameFolded: user.nameFolded, bio: user.bio }).toEqual({ name: "Zo\u00EB", nameFolded: "zo\u00EB", bio: "bio ok" });
    const [community] = await db.select().from(schema.communities).where(eq(schema.communities.id, c.id));
    expect(community.name).toBe("Tea Club");
    const [spaceRow] = await db.select().from(schema.spaces).where(eq(schema.spaces.id, sp.id));
    expect(spaceRow.name).toBe("Space");
    const [postRow] = await db.select().from(schema.posts).where(eq(schema.posts.id, post.id));
    expect(postRow.body).toBe("Best caf\u00E9 in town\n");
    const after = await call(`/api/v1/communities/${c.slug}/search?q=${encodeURIComponent("café")}`, { as: c.owner });
    expect(after.body.items.map((hit: { id: string }) => hit.id)).toEqual([post.id]);

    const [marker] = await db.select().from(schema.backfills).where(eq(schema.backfills.name, TEXT_BACKFILL));
    expect(marker.doneAt).toBeInstanceOf(Date);
    // once done, a tick costs the one read of the marker
    expect(await continueTextBackfill(env)).toEqual({ rows: 0, changed: 0, queries: 1, done: true });
  });
});
