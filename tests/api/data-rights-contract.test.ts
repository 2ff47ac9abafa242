// The data-rights contract (ADR 019): every column that references a person is covered by a
// registered kind of personal data (workers/domain/data-rights/registry.ts) or by the commented
// allow-list below, so a new table (chat, RSVPs, subscriptions) cannot slip past export and
// erasure; and erasure does to each column what its kind says.
import { env } from "cloudflare:workers";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { is } from "drizzle-orm";
import { SQLiteTable as SQLiteTableClass } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { schema } from "../../workers/db/client";
import { coveredColumns, personalData, purges } from "../../workers/domain/data-rights/registry";
import { processEvent } from "../../workers/domain/events/process";
import { addMember, makeCommunity } from "../community-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call, createUser, ORIGIN, PASSWORD } from "../helpers";
import { drainEvents } from "../queue-fixtures";
import { png } from "../upload-fixtures";
import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { makeChat } from "../chat-fixtures";
import { channelStub } from "../../workers/domain/chat/channels";

/**
 * Columns the search below finds that are not a person's data, each with why erasure may leave
 * them alone.
 */
const ALLOW_LIST: Record<string, string> = {
  // named like a person's id, but the target of a reaction is a post, comment or message id
  "reactions.target_id": "holds a post, comment or message id, never a person's",
};

/** Column names that hold a person's id even without a foreign key (audit trails, moderation). */
const PERSON_COLUMN = /(^|_)(user|author|actor|owner|target|mentioned_user)_id$|_by$/;

/** Tables of the platform or of the migration runner, not of Enclave. */
const isOurTable = (name: string) => !/^(sqlite_|_cf_|d1_)/.test(name);

async function tablesOf(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("select name from sqlite_master where type = 'table'").all<{ name: string }>();
  return results.map((r) => r.name).filter(isOurTable);
}

/** "table.column" for every column with a foreign key to users(id), as the database has them. */
async function foreignKeysToUsers(db: D1Database): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of await tablesOf(db)) {
    const { results } = await db.prepare(`select * from pragma_foreign_key_list(?)`).bind(table).all<{ table: string; from: string }>();
    for (const fk of results) if (fk.table === "users") found.add(`${table}.${fk.from}`);
  }
  return found;
}

/** "table.column" for every column named like a person's id, in a database's tables. */
async function personNamedColumns(db: D1Database): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of await tablesOf(db)) {
    const { results } = await db.prepare(`select name from pragma_table_info(?)`).bind(table).all<{ name: string }>();
    for (const column of results) if (PERSON_COLUMN.test(column.name)) found.add(`${table}.${column.name}`);
  }
  return found;
}

/** The same from the drizzle schema: foreign keys to users, declared in code. */
function schemaForeignKeysToUsers(): Set<string> {
  const found = new Set<string>();
  for (const value of Object.values(schema)) {
    if (!is(value, SQLiteTableClass)) continue;
    const config = getTableConfig(value as SQLiteTable);
    for (const fk of config.foreignKeys) {
      const ref = fk.reference();
      if (getTableConfig(ref.foreignTable).name !== "users") continue;
      for (const column of ref.columns) found.add(`${config.name}.${column.name}`);
    }
  }
  return found;
}

describe("the data-rights contract", () => {
  it("covers every column that references a person, in the schema and in the migrated database", async () => {
    const inDatabase = await foreignKeysToUsers(env.DB);
    const inSchema = schemaForeignKeysToUsers();
    // the migrations and the schema agree, so checking one checks both
    expect([...inDatabase].sort()).toEqual([...inSchema].sort());

    const byName = await personNamedColumns(env.DB);
    const searchByName = await personNamedColumns(env.SEARCH);
    const candidates = new Set([...inDatabase, ...byName, ...searchByName]);
    expect(candidates.size).toBeGreaterThan(20);

    const covered = coveredColumns();
    const uncovered = [...candidates].filter((column) => !covered.has(column) && !(column in ALLOW_LIST)).sort();
    expect(uncovered, "register these in a kind of personal data (domain/data-rights) or allow-list them with a reason").toEqual([]);

    // nothing registered that does not exist (a renamed column would leave a stale promise)
    const stale = [...covered.keys(), ...Object.keys(ALLOW_LIST)].filter((column) => !candidates.has(column));
    expect(stale).toEqual([]);
  });

  it("gives every kept column a reason and every purge a unique name", () => {
    for (const kind of personalData) {
      for (const [column, fate] of Object.entries(kind.columns)) {
        if (fate.fate === "kept") expect(fate.reason.length, column).toBeGreaterThan(20);
      }
    }
    const names = purges.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["uploads", "exports"]));
  });

  it("leaves no row pointing at an erased person in a column registered as deleted, nulled or purged, and nothing of theirs in R2", async () => {
    const community = await makeCommunity();
    const person = await createUser();
    const friend = await createUser();
    await addMember(community, { user: person, role: "moderator" });
    await addMember(community, { user: friend });
    const space = await makeSpace(community);

    // something in every kind: posts, comments, reactions, follows, visits, mentions both ways,
    // notifications both ways, consents, an upload, an invite, an export archive, audit entries,
    // a chat message (its channel recorded in chat_authors) and a channel notification level
    const post = await writePost(space, person, { title: "Mine", body: `Hello <@${friend.id}>` });
    await writeComment(post.id, friend, `Thanks <@${person.id}>`);
    await writeComment(post.id, person, "A reply of mine");
    expect((await call(`/api/v1/posts/${post.id}/reactions/👍`, { as: person, method: "PUT" })).status).toBeLessThan(300);
    await call(`/api/v1/spaces/${space.id}/follow`, { as: person, method: "PUT" });
    await call(`/api/v1/spaces/${space.id}/posts`, { as: person });
    await call("/api/v1/me/consents", { as: person, method: "PUT", body: { items: [{ community: community.slug, purpose: "marketing_email", granted: true }] } });
    await call(`/api/v1/communities/${community.slug}/invites`, { as: person, body: { source: "youtube" } });
    const form = new FormData();
    form.append("file", new File([png()], "a.png", { type: "image/png" }));
    const upload = await SELF.fetch(`${ORIGIN}/api/v1/uploads`, { method: "POST", headers: { Origin: ORIGIN, Cookie: person.cookie }, body: form });
    expect(upload.status).toBe(201);
    await upload.arrayBuffer();
    await call("/api/v1/me/exports", { as: person, method: "POST" });
    const chat = await makeChat(community);
    expect((await call(`/api/v1/spaces/${chat.id}/messages`, { as: person, body: { body: `Hi <@${friend.id}>` } })).status).toBe(201);
    expect((await call(`/api/v1/spaces/${chat.id}/chat/notifications`, { as: person, method: "PUT", body: { level: "all" } })).status).toBe(200);
    await runDurableObjectAlarm(channelStub(env, chat.id) as never);
    await drainEvents();

    // every registered column that erasure clears holds the person before…
    const cleared = [...coveredColumns()].filter(([, fate]) => fate.fate !== "kept").map(([column]) => column);
    const count = async (column: string) => {
      const [table, name] = column.split(".");
      const row = await env.DB.prepare(`select count(*) as n from "${table}" where "${name}" = ?`).bind(person.id).first<{ n: number }>();
      return row!.n;
    };
    const before = Object.fromEntries(await Promise.all(cleared.map(async (c) => [c, await count(c)] as const)));
    const heldBefore = Object.entries(before).filter(([, n]) => n > 0).map(([c]) => c);
    expect(heldBefore.length).toBeGreaterThanOrEqual(10);
    expect(heldBefore).toEqual(expect.arrayContaining(["chat_authors.user_id", "chat_settings.user_id", "mentions.author_id"]));
    expect((await env.UPLOADS.list({ prefix: `u/${person.id}/` })).objects.length).toBe(1);
    expect((await env.UPLOADS.list({ prefix: `x/${person.id}/` })).objects.length).toBe(1);

    expect((await call("/api/v1/me", { as: person, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    await drainEvents();

    // …and none after the batch and the purges
    const after = Object.fromEntries(await Promise.all(cleared.map(async (c) => [c, await count(c)] as const)));
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    expect((await env.UPLOADS.list({ prefix: `u/${person.id}/` })).objects).toEqual([]);
    expect((await env.UPLOADS.list({ prefix: `x/${person.id}/` })).objects).toEqual([]);
    // and nothing of theirs inside the chat object: the message is a tombstone
    const history = await call(`/api/v1/spaces/${chat.id}/messages`, { as: community.owner });
    expect(history.body.items.map((m: { author: { id: string; name: string }; body: string }) => [m.author.name, m.body])).toEqual([["Deleted member", ""]]);
  });

  it("retries a purge that fails, and purges more files than one R2 page in slices", async () => {
    const person = await createUser();
    // more objects than one list/delete page (1,000), as a long-time member's images would be
    const keys = Array.from({ length: 1005 }, (_, i) => `u/${person.id}/img${String(i).padStart(4, "0")}.png`);
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => env.UPLOADS.put(key, "x")));

    expect((await call("/api/v1/me", { as: person, method: "DELETE", body: { password: PASSWORD } })).status).toBe(204);
    const [event] = (
      await env.DB.prepare("select id from domain_events where kind = 'account.erased' and subject_id = ?").bind(person.id).all<{ id: string }>()
    ).results;
    // the bucket refuses deletes the first time: the purge's handler fails and is retried later
    let refusals = 0;
    const failing = {
      ...env,
      UPLOADS: new Proxy(env.UPLOADS, {
        get(target, prop) {
          if (prop === "delete") {
            return async () => {
              refusals += 1;
              throw new Error("R2 unavailable");
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    } as Env;
    const first = await processEvent(failing, event!.id);
    expect(first.outcome).toBe("retry");
    expect(refusals).toBeGreaterThan(0);
    expect((await env.UPLOADS.list({ prefix: `u/${person.id}/` })).objects.length).toBe(1000);

    // after the backoff, with R2 back: the first slice deletes 1,000, a follow-up the rest
    await drainEvents({ now: () => Date.now() + 60 * 60_000 });
    expect((await env.UPLOADS.list({ prefix: `u/${person.id}/` })).objects).toEqual([]);
    const continued = await env.DB.prepare("select count(*) as n from domain_events where kind = 'account.purge_continued' and subject_id = ?")
      .bind(person.id)
      .first<{ n: number }>();
    expect(continued!.n).toBe(1);
  });
});
