// @mentions: who a text names, among the community's active members.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, schema } from "../../workers/db/client";
import { matchMentions, resolveMentions, tokenizeMentions } from "../../workers/domain/notifications/mentions";
import { addMember, makeCommunity } from "../community-fixtures";
import { makePost, makeSpace } from "../content-fixtures";
import { createUser } from "../helpers";

const people = [
  { id: "u_mei", name: "Mei" },
  { id: "u_meilin", name: "Mei Lin" },
  { id: "u_wang", name: "王小明" },
  { id: "u_wang2", name: "王小" },
];

describe("matchMentions", () => {
  it("prefers the longest member name at an @", () => {
    expect(matchMentions("thanks @Mei Lin!", people)).toEqual(["u_meilin"]);
    expect(matchMentions("thanks @Mei, see you", people)).toEqual(["u_mei"]);
  });

  it("matches names case-insensitively", () => {
    expect(matchMentions("cc @mei lin", people)).toEqual(["u_meilin"]);
  });

  it("does not match a Latin name inside a longer word", () => {
    expect(matchMentions("hi @Meiling", people)).toEqual([]);
  });

  it("matches a CJK name followed directly by more CJK text, longest first", () => {
    expect(matchMentions("@王小明你好，請看一下", people)).toEqual(["u_wang"]);
    expect(matchMentions("謝謝@王小明", people)).toEqual(["u_wang"]);
  });

  it("ignores an @ inside an email address", () => {
    expect(matchMentions("write to help@Mei.example", people)).toEqual([]);
  });

  it("lists each person once, in order of appearance", () => {
    expect(matchMentions("@王小明 and @Mei Lin and @王小明 again", people)).toEqual(["u_wang", "u_meilin"]);
  });
});

describe("resolveMentions and stored mentions", () => {
  it("turns typed names of active members into tokens and resolves tokens to active members only", async () => {
    const community = await makeCommunity();
    const mei = await addMember(community, { user: await createUser({ name: "Mei Lin" }) });
    const wang = await addMember(community, { user: await createUser({ name: "王小明" }) });
    const outsider = await createUser({ name: "Outsider Olga" });
    const gone = await addMember(community, { user: await createUser({ name: "Gone Gus" }), status: "left" });
    const text = await tokenizeMentions(env, community.id, "@Mei Lin @王小明 @Outsider Olga @Gone Gus");
    expect(text).toBe(`<@${mei.id}> <@${wang.id}> @Outsider Olga @Gone Gus`);
    const ids = await resolveMentions(env, community.id, `${text} <@${outsider.id}> <@${gone.id}>`);
    expect(ids).toEqual([mei.id, wang.id]);
  });

  it("stores a mentions row per person mentioned in a post, and none for the author", async () => {
    const community = await makeCommunity();
    const author = await addMember(community, { user: await createUser({ name: "Author Ann" }) });
    const mei = await addMember(community, { user: await createUser({ name: "Mei Lin" }) });
    const space = await makeSpace(community);
    const post = await makePost(space, author, { title: "Hello", body: "@Mei Lin and me, @Author Ann" });
    const rows = await getDb(env)
      .select()
      .from(schema.mentions)
      .where(and(eq(schema.mentions.sourceType, "post"), eq(schema.mentions.sourceId, post.id)));
    expect(rows.map((r) => r.mentionedUserId)).toEqual([mei.id]);
    expect(rows[0]).toMatchObject({ authorId: author.id, communityId: community.id });
  });
});
