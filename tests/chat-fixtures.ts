// Fixtures for the chat tests: real WebSockets through the Worker's socket route (TOOLCHAIN.md:
// SELF.fetch with Upgrade → 101 → accept), and frames awaited by what they carry.
import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ChatMessage, ServerFrame } from "../durable-objects/protocol";
import { makeSpace, type TestSpace } from "./discussion-fixtures";
import type { TestCommunity } from "./community-fixtures";
import { call, ORIGIN, type TestUser } from "./helpers";
import { drainEvents } from "./queue-fixtures";
import { channelStub } from "../workers/domain/chat/channels";

export const makeChat = (community: TestCommunity, opts: Parameters<typeof makeSpace>[1] = {}) => makeSpace(community, { ...opts, kind: "chat", name: opts.name ?? "Lounge" });

export type TestSocket = {
  ws: WebSocket;
  frames: ServerFrame[];
  /** the first frame (from the start) that `match` accepts, waiting up to `ms` */
  next<T extends ServerFrame>(match: (f: ServerFrame) => f is T, ms?: number): Promise<T>;
  /** every message seen so far in `messages` frames, in arrival order */
  messages(): ChatMessage[];
  waitForMessages(count: number, ms?: number): Promise<ChatMessage[]>;
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
};

type SocketOptions = { after?: number | string; headers?: Record<string, string>; origin?: string | null; confirms?: boolean };

export async function openSocket(space: TestSpace | string, as: TestUser | null, opts: SocketOptions = {}): Promise<{ status: number; body?: any; socket?: TestSocket }> {
  const id = typeof space === "string" ? space : space.id;
  const query = opts.after !== undefined ? `?after=${opts.after}` : "";
  // a DM conversation's socket (`dm_…`) or a chat space's
  const route = id.startsWith("dm_") ? "conversations" : "spaces";
  return openSocketAt(`/api/v1/${route}/${id}/socket${query}`, as, opts);
}

/** The community's presence socket (ADR 033); its frames come back in `frames` as the chat socket's do. */
export const openPresence = (slug: string, as: TestUser | null, opts: SocketOptions = {}) => openSocketAt(`/api/v1/communities/${slug}/presence/socket`, as, opts);

/** A real WebSocket to `path` through the Worker, with the app's Origin and `as`'s cookie. */
async function openSocketAt(path: string, as: TestUser | null, opts: SocketOptions): Promise<{ status: number; body?: any; socket?: TestSocket }> {
  const headers: Record<string, string> = { Upgrade: "websocket", ...opts.headers };
  if (opts.origin !== null) headers.Origin = opts.origin ?? ORIGIN;
  if (as) headers.Cookie = as.cookie;
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers });
  if (res.status !== 101 || !res.webSocket) {
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* text */
    }
    return { status: res.status, body };
  }
  const ws = res.webSocket;
  ws.accept();
  const frames: ServerFrame[] = [];
  let wake: (() => void) | null = null;
  // as the web client does (app/lib/chat-socket.ts): confirm by the channel's count from `ready`
  // (the object closes readers more than four times that behind); the web client's lazy timer for
  // a remainder is left out, so these sockets confirm no more often than a real one
  let confirmEvery = 1;
  let applied = 0;
  let confirmed = 0;
  ws.addEventListener("message", (event) => {
    if (event.data === "pong") return;
    const frame = JSON.parse(String(event.data)) as ServerFrame;
    frames.push(frame);
    if (frame.type === "ready") confirmEvery = frame.confirmEvery;
    if (frame.type === "messages" && opts.confirms !== false) {
      applied = Math.max(applied, ...frame.messages.map((m) => m.rev));
      if (applied - confirmed >= confirmEvery) ws.send(JSON.stringify({ type: "seen", rev: (confirmed = applied) }));
    }
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  const waitUntil = async <T>(read: () => T | undefined, ms: number, what: string): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = read();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        // what came, by type, and the last frames (the first ones are the same ready/here every time)
        const kinds = frames.reduce<Record<string, number>>((n, f) => ({ ...n, [f.type]: (n[f.type] ?? 0) + 1 }), {});
        const revs = messages().map((m) => m.rev);
        throw new Error(`timed out waiting for ${what}; frames by type ${JSON.stringify(kinds)}, ${revs.length} messages (revs ${revs.slice(0, 3).join(",")}…${revs.slice(-3).join(",")}); last: ${JSON.stringify(frames.slice(-3)).slice(-1500)}`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(left, 50));
      });
    }
  };
  const messages = () => frames.flatMap((f) => (f.type === "messages" ? f.messages : []));
  const socket: TestSocket = {
    ws,
    frames,
    next: (match, ms = 3_000) => waitUntil(() => frames.find(match), ms, "a frame"),
    messages,
    waitForMessages: (count, ms = 3_000) => waitUntil(() => (messages().length >= count ? messages() : undefined), ms, `${count} messages`),
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    closed,
  };
  return { status: 101, socket };
}

export async function connected(space: TestSpace | string, as: TestUser, opts: Parameters<typeof openSocket>[2] = {}): Promise<TestSocket> {
  const res = await openSocket(space, as, opts);
  expect(res.status, JSON.stringify(res.body)).toBe(101);
  await res.socket!.next((f): f is Extract<ServerFrame, { type: "ready" }> => f.type === "ready");
  return res.socket!;
}

export const isAck = (clientId: string) => (f: ServerFrame): f is Extract<ServerFrame, { type: "ack" }> => f.type === "ack" && f.clientId === clientId;
export const isError = (f: ServerFrame): f is Extract<ServerFrame, { type: "error" }> => f.type === "error";

let n = 0;
export const clientId = () => `cid-${Date.now().toString(36)}-${(n++).toString(36)}`;

/**
 * Send `body` to a chat space or a DM (`dm_…`) over HTTP as `as`, then run the channel's outbox
 * alarm and drain the spine, so D1 (unread counts, search, notices) has what the message brings.
 */
export async function sayForwarded(channel: string, as: TestUser, body: string, extra: Record<string, unknown> = {}) {
  const route = channel.startsWith("dm_") ? "conversations" : "spaces";
  const res = await call(`/api/v1/${route}/${channel}/messages`, { as, body: { body, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await forwarded(channel);
  return res.body.message as ChatMessage;
}

/** Run `channel`'s outbox alarm and drain the spine. */
export async function forwarded(channel: string): Promise<void> {
  await runDurableObjectAlarm(channelStub(env, channel) as never);
  await drainEvents();
}

/** `as`'s unread count per channel in the community (GET …/unread), by channel id. */
export async function unreadCounts(c: TestCommunity, as: TestUser): Promise<Record<string, number>> {
  const res = await call(`/api/v1/communities/${c.slug}/unread`, { as });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.items.map((i: { channelId: string; unread: number }) => [i.channelId, i.unread]));
}
