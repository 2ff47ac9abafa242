// A fresh tester's finding on issue 12: raw HTML was dropped whole, and an HTML block took the lines
// after it with it (`a\n<div>block</div>\nb` showed only `a`). Raw HTML is never rendered, but the
// member's words are kept: it shows as escaped literal text in posts, comments and chat messages,
// as each is answered by the API.
import { describe, expect, it } from "vitest";
import { makeCommunity } from "../community-fixtures";
import { makeChat } from "../chat-fixtures";
import { makeSpace, writeComment, writePost } from "../discussion-fixtures";
import { call } from "../helpers";

const cases: Array<[what: string, body: string, html: string]> = [
  ["an HTML block keeps itself and the line after it", "a\n<div>block</div>\nb", "<p>a\n&lt;div&gt;block&lt;/div&gt;\nb</p>"],
  ["HTML alone is its text, not nothing", "<p>only html</p>", "<p>&lt;p&gt;only html&lt;/p&gt;</p>"],
  ["a script is text, never a tag", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"],
  ["inline HTML in a sentence is kept as text", "I said <b>x</b> twice", "<p>I said &lt;b&gt;x&lt;/b&gt; twice</p>"],
];

describe("raw HTML shows as the text the member typed", () => {
  it.each(cases)("in a post body: %s", async (_what, body, html) => {
    const c = await makeCommunity();
    const post = await writePost(await makeSpace(c), c.owner, { title: "Raw", body });
    const res = await call(`/api/v1/posts/${post.id}`, { as: c.owner });
    expect(res.status).toBe(200);
    expect(res.body.html).toBe(html);
  });

  it.each(cases)("in a comment: %s", async (_what, body, html) => {
    const c = await makeCommunity();
    const post = await writePost(await makeSpace(c), c.owner);
    await writeComment(post.id, c.owner, body);
    const list = await call(`/api/v1/posts/${post.id}/comments`, { as: c.owner });
    expect(list.body.items.map((i: { html: string }) => i.html)).toEqual([html]);
  });

  it.each(cases)("in a chat message, as sent and as read back from history: %s", async (_what, body, html) => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body } });
    expect(sent.status).toBe(201);
    expect(sent.body.message.html).toBe(html);
    const history = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner });
    expect(history.body.items.map((m: { html: string }) => m.html)).toEqual([html]);
  });
});
