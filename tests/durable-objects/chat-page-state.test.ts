// The chat page's state (app/lib/chat-state.ts) fed the channel's real frames over real sockets:
// what a member's screen ends up showing after being away, after racing HTTP answers against the
// socket, and after the channel refuses a send.
import { describe, expect, it } from "vitest";
import { addMember, makeCommunity } from "../community-fixtures";
import { call, type TestUser } from "../helpers";
import { clientId, connected, isAck, isError, makeChat, type TestSocket } from "../chat-fixtures";
import { chatReducer, dueToSend, frameAction, initialChatState, type ChatState, type HistoryPage, type PendingMessage } from "../../app/lib/chat-state";
import { RATE_LIMIT_MESSAGES } from "../../durable-objects/chat-channel";
import { loader } from "../../app/routes/community-space";
import { loadPage, type Loader } from "../page-fixtures";
import type { ChatPage } from "../../app/lib/chat.server";

const pending = (body: string): PendingMessage => ({ clientId: clientId(), body, replyTo: null, imageIds: [], imageUrls: [], mentionIds: [], status: "queued", error: null, retryAt: null });

/** Every frame the socket received so far, applied in arrival order (as the page's hook does). */
const applyFrames = (state: ChatState, socket: TestSocket, from = 0, now = Date.now()) =>
  socket.frames.slice(from).reduce((s, frame) => {
    const action = frameAction(frame, now);
    return action ? chatReducer(s, action) : s;
  }, state);

/** Put what is due on the wire, as the hook does once the channel is ready. */
function sendDue(state: ChatState, socket: TestSocket): ChatState {
  const due = dueToSend(state, Date.now());
  for (const p of due) socket.send({ type: "send", clientId: p.clientId, body: p.body, replyTo: p.replyTo?.id ?? null, imageIds: p.imageIds, mentionIds: p.mentionIds });
  return chatReducer(state, { type: "sent", clientIds: due.map((p) => p.clientId) });
}

const history = async (spaceId: string, as: TestUser): Promise<HistoryPage> => (await call(`/api/v1/spaces/${spaceId}/messages`, { as })).body;
const bodies = (state: ChatState) => state.messages.map((m) => m.body);

describe("chat page state against the channel's frames", () => {
  it("after time away, resuming from its rev shows every message once, in order, edits at their latest, and its own queued messages stored", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const first = await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "before" } });
    let mine = initialChatState(await history(space.id, c.owner));
    expect(bodies(mine)).toEqual(["before"]);

    // away: Bob writes and edits; the owner writes two messages that wait in the queue
    await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "while away" } });
    await call(`/api/v1/messages/${first.body.message.id}`, { as: bob, method: "PATCH", body: { body: "before, edited" } });
    mine = chatReducer(mine, { type: "queue", message: pending("queued one") });
    mine = chatReducer(mine, { type: "queue", message: pending("queued two") });

    const socket = await connected(space, c.owner, { after: mine.rev });
    await socket.waitForMessages(2);
    mine = sendDue(applyFrames(mine, socket), socket);
    const [, two] = mine.pending;
    await socket.next(isAck(two.clientId));
    await socket.waitForMessages(4);
    mine = applyFrames(mine, socket, 0);
    // the same frames once more, as a flaky connection might deliver them: nothing doubles
    mine = applyFrames(mine, socket, 0);

    expect(bodies(mine)).toEqual(["before, edited", "while away", "queued one", "queued two"]);
    expect(mine.pending).toEqual([]);
    expect(mine.rev).toBe((await history(space.id, c.owner)).head);
  });

  it("an HTTP answer shows at once but does not move the resume point past changes still on their way", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const sent = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "react to me" } });
    let mine = initialChatState(await history(space.id, c.owner));
    const startRev = mine.rev;
    // Bob writes (rev +1) just before the owner's reaction (rev +2) comes back over HTTP
    await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "in between" } });
    const reacted = await call(`/api/v1/messages/${sent.body.message.id}/reactions/${encodeURIComponent("🎉")}`, { as: c.owner, method: "PUT" });
    mine = chatReducer(mine, { type: "messages", messages: [reacted.body.message], fromSocket: false });
    expect(mine.messages[0].reactions).toEqual([{ emoji: "🎉", count: 1, userIds: [c.owner.id] }]);
    expect(mine.rev).toBe(startRev);

    const socket = await connected(space, c.owner, { after: mine.rev });
    await socket.waitForMessages(2);
    mine = applyFrames(mine, socket);
    expect(bodies(mine)).toEqual(["react to me", "in between"]);
    expect(mine.messages[0].reactions[0].count).toBe(1);
    expect(mine.rev).toBe(startRev + 2);
  });

  it("a send refused by the rate limit waits out retryAfter and is due again after it; a body refused as too long fails until retried or deleted", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const socket = await connected(space, bob);
    let mine = initialChatState(await history(space.id, bob));
    for (let i = 0; i <= RATE_LIMIT_MESSAGES; i++) mine = chatReducer(mine, { type: "queue", message: pending(`burst ${i}`) });
    mine = sendDue(mine, socket);
    const over = mine.pending[RATE_LIMIT_MESSAGES];
    const refusal = await socket.next((f): f is Extract<typeof f, { type: "error" }> => isError(f) && f.clientId === over.clientId);
    expect(refusal.code).toBe("rate_limited");
    await socket.next(isAck(mine.pending[RATE_LIMIT_MESSAGES - 1].clientId));
    const now = Date.now();
    mine = applyFrames(mine, socket, 0, now);
    expect(mine.pending.map((p) => [p.body, p.status])).toEqual([[`burst ${RATE_LIMIT_MESSAGES}`, "waiting"]]);
    expect(dueToSend(mine, now)).toEqual([]);
    const retryAt = now + Math.ceil(refusal.retryAfter!) * 1_000;
    expect(dueToSend(mine, retryAt).map((p) => p.clientId)).toEqual([over.clientId]);
    // one written meanwhile waits behind it, so the two are stored in the order they were written
    const behind = pending("written meanwhile");
    const withBehind = chatReducer(mine, { type: "queue", message: behind });
    expect(dueToSend(withBehind, now)).toEqual([]);
    expect(dueToSend(withBehind, retryAt).map((p) => p.clientId)).toEqual([over.clientId, behind.clientId]);

    expect(chatReducer(mine, { type: "discard", clientId: over.clientId }).pending).toEqual([]);

    // the owner (not rate-limited yet) sends a body past 4,000 characters
    const ownerSocket = await connected(space, c.owner);
    const tooLong = pending("字".repeat(4_001));
    mine = sendDue(chatReducer(initialChatState(await history(space.id, c.owner)), { type: "queue", message: tooLong }), ownerSocket);
    await ownerSocket.next((f): f is Extract<typeof f, { type: "error" }> => isError(f) && f.clientId === tooLong.clientId);
    mine = applyFrames(mine, ownerSocket);
    expect(mine.pending).toMatchObject([{ clientId: tooLong.clientId, status: "failed", error: { code: "too_large" } }]);
    expect(dueToSend(mine, Date.now() + 60_000)).toEqual([]);
    expect(dueToSend(chatReducer(mine, { type: "retry", clientId: tooLong.clientId }), Date.now()).map((p) => p.clientId)).toEqual([tooLong.clientId]);
    expect(chatReducer(mine, { type: "discard", clientId: tooLong.clientId }).pending).toEqual([]);
  });

  it("a deleted message's words leave the page, from the replies quoting it too", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const bob = await addMember(c);
    const quoted = await call(`/api/v1/spaces/${space.id}/messages`, { as: c.owner, body: { body: "a secret I regret" } });
    await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "what?", replyTo: quoted.body.message.id } });
    let page = initialChatState(await history(space.id, bob));
    expect(page.messages[1].replyTo).toMatchObject({ excerpt: "a secret I regret", deleted: false });
    const socket = await connected(space, bob, { after: page.rev });
    await call(`/api/v1/messages/${quoted.body.message.id}`, { as: c.owner, method: "DELETE" });
    await socket.waitForMessages(1);
    page = applyFrames(page, socket);
    expect(page.messages[0]).toMatchObject({ deleted: true, body: "", html: "" });
    expect(page.messages[1].replyTo).toMatchObject({ excerpt: "", deleted: true });
    expect(JSON.stringify(page)).not.toContain("a secret I regret");
  });

  it("a page opened at an old message holds live messages past its end instead of showing them after a gap; loading newer, or jumping to the newest, brings them in once", async () => {
    const c = await makeCommunity();
    const space = await makeChat(c);
    const senders = [await addMember(c), await addMember(c), await addMember(c)];
    for (let n = 1; n <= 30; n++) await call(`/api/v1/spaces/${space.id}/messages`, { as: senders[Math.floor((n - 1) / 10)], body: { body: `m${n}` } });
    const bob = await addMember(c);
    const linked = async () =>
      (await loadPage(loader as unknown as Loader, `/c/${c.slug}/s/${space.id}?seq=3`, { slug: c.slug, spaceId: space.id }, c.owner)) as { chat: ChatPage };
    const start = initialChatState((await linked()).chat.history);
    const seqs = (state: ChatState) => state.messages.map((m) => m.seq);
    expect(seqs(start)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    expect(start.newerCursor).toBe("28");

    const socket = await connected(space, c.owner, { after: start.rev });
    // live: a new message (seq 31), an edit inside the view (seq 5) and one past it (seq 29)
    const edit = async (seq: number, body: string) => {
      const id = (await history(space.id, c.owner)).items.find((m) => m.seq === seq)!.id;
      await call(`/api/v1/messages/${id}`, { as: c.owner, method: "PATCH", body: { body } });
    };
    await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "live 31" } });
    await edit(5, "m5, edited");
    await edit(29, "m29, edited");
    await socket.waitForMessages(3);
    let mine = applyFrames(start, socket);
    expect(seqs(mine)).toEqual(seqs(start));
    expect(mine.messages.find((m) => m.seq === 5)!.body).toBe("m5, edited");
    expect(mine.ahead.map((m) => [m.seq, m.body])).toEqual([[29, "m29, edited"], [31, "live 31"]]);
    expect(mine.rev).toBe(33);

    // load newer from the view's end: 29 … 31, the newest, so what was held joins and live appends again
    const newer: HistoryPage = (await call(`/api/v1/spaces/${space.id}/messages?after=28&limit=50`, { as: c.owner })).body;
    mine = chatReducer(mine, { type: "newer", page: newer });
    expect(seqs(mine)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(mine.messages.find((m) => m.seq === 29)!.body).toBe("m29, edited");
    expect(mine).toMatchObject({ newerCursor: null, ahead: [] });
    await call(`/api/v1/spaces/${space.id}/messages`, { as: bob, body: { body: "live 32" } });
    await socket.waitForMessages(4);
    mine = applyFrames(mine, socket);
    expect(bodies(mine).slice(-2)).toEqual(["live 31", "live 32"]);

    // the other way down: from the same linked view, "jump to newest" replaces it with the newest page
    const jumped = chatReducer(applyFrames(start, socket), { type: "newest", page: await history(space.id, c.owner) });
    // (a seq is the channel's counter when sent: the two edits took 32 and 33)
    expect(seqs(jumped)).toEqual([...Array.from({ length: 31 }, (_, i) => i + 1), 34]);
    expect(jumped.newerCursor).toBeNull();
    // the resume point stays the socket's, not the page's
    expect(jumped.rev).toBe(34);
    socket.ws.close();
  });
});
