// What a chat page holds between frames (ADR 024's resume model, seen from the browser): the
// messages it shows, the highest rev it applied (the socket reconnects with `?after=<rev>`), and
// the messages this tab wrote that the channel has not acknowledged yet. Pure: the socket hook
// (chat-socket.ts) feeds it frames and user intents; tests feed it the object's real frames.
import { isConversationId, type ChatMessage, type ServerFrame } from "../../durable-objects/protocol";

/** Something this tab wrote, waiting for the channel's ack (kept until acked or discarded). */
export type PendingMessage = {
  clientId: string;
  body: string;
  replyTo: ChatMessage | null;
  imageIds: string[];
  /** the images' URLs, to show them greyed before the ack */
  imageUrls: string[];
  mentionIds: string[];
  /** queued: to send when the socket is open; sent: on the wire; waiting: refused for now (rate limit,
   * slow mode) until `retryAt`; failed: refused, the writer chooses to retry or delete */
  status: "queued" | "sent" | "waiting" | "failed";
  /** the refusal's API.md code and message (failed, waiting) */
  error: { code: string; message: string } | null;
  /** ms since the epoch when a waiting message is sent again */
  retryAt: number | null;
};

export type ChatState = {
  /** by seq, oldest first: the newest page and whatever older pages were loaded */
  messages: ChatMessage[];
  /** pinned messages, newest pin first as the history answer gives them */
  pinned: ChatMessage[];
  /** the highest rev applied: what `?after=` asks to resume from */
  rev: number;
  /** the seq to load older history before, or null when the start of the channel is shown */
  olderCursor: string | null;
  /**
   * the seq to load newer history after (the last one shown), or null when the newest is shown.
   * While set (a page opened at an old message), live messages past it are held in `ahead`, not
   * shown after a gap.
   */
  newerCursor: string | null;
  /** live messages past `newerCursor`, by seq, kept (the newest MAX_AHEAD) until the view reaches them */
  ahead: ChatMessage[];
  pending: PendingMessage[];
  slowModeSeconds: number;
};

/**
 * The history answer (GET /spaces/:id/messages, listMessages) a page starts from. A page opened
 * at a linked message (listMessagesAround) also has `newerCursor` (null: it reaches the newest)
 * and `focusSeq`, the message the link names.
 */
export type HistoryPage = {
  items: ChatMessage[];
  nextCursor: string | null;
  head: number;
  slowModeSeconds: number;
  pinned: ChatMessage[];
  newerCursor?: string | null;
  focusSeq?: number;
};

/** A page's first state: its server-rendered history, resuming live from the history's head. */
export function initialChatState(history: HistoryPage, pending: PendingMessage[] = []): ChatState {
  return {
    messages: bySeq(history.items),
    pinned: history.pinned,
    rev: history.head,
    olderCursor: history.nextCursor,
    newerCursor: history.newerCursor ?? null,
    ahead: [],
    pending,
    slowModeSeconds: history.slowModeSeconds,
  };
}

/**
 * Live messages held past a view that does not reach the newest: only the race between a page of
 * newer history being read and messages sent meanwhile needs them (the page has all older ones),
 * so the newest few hundred are plenty.
 */
export const MAX_AHEAD = 500;

export type ChatAction =
  /**
   * a `messages` frame (live or a resume page; `fromSocket`) or an HTTP answer carrying a message.
   * Only socket frames move `rev`: they carry every change in rev order, while an HTTP answer's
   * rev may be ahead of changes still on their way, which a resume from it would skip.
   */
  | { type: "messages"; messages: ChatMessage[]; fromSocket: boolean }
  /** the channel stored a message this tab sent */
  | { type: "ack"; clientId: string; message: ChatMessage }
  /** an `error` frame naming a client id: refused for now (`retryAt`) or for good */
  | { type: "refused"; clientId: string; code: string; message: string; retryAt: number | null }
  | { type: "queue"; message: PendingMessage }
  /** these pending messages went out on the socket */
  | { type: "sent"; clientIds: string[] }
  /** the socket closed: what was on the wire unacknowledged goes back to the queue, to resend */
  | { type: "disconnected" }
  | { type: "retry"; clientId: string }
  | { type: "discard"; clientId: string }
  | { type: "older"; page: HistoryPage }
  /** a page of newer history (GET ...?after=<newerCursor>), its nextCursor the next newer one */
  | { type: "newer"; page: HistoryPage }
  /** "jump to newest": the newest page replaces a view opened at an old message */
  | { type: "newest"; page: HistoryPage }
  /** the channel could not replay what was missed (`resume_too_far`): start again from a fresh page */
  | { type: "reload"; page: HistoryPage }
  | { type: "settings"; slowModeSeconds: number };

const bySeq = (messages: ChatMessage[]) => [...messages].sort((a, b) => a.seq - b.seq);

/**
 * Merge messages into a list by id, keeping whichever copy has the higher rev (a frame replayed
 * after a reconnect, or an HTTP answer racing the socket, never rolls a message back). With
 * `addNew` false only messages already in the list are updated (changes to history not loaded).
 */
function merge(list: ChatMessage[], incoming: ChatMessage[], addNew: boolean): ChatMessage[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  let changed = false;
  for (const m of incoming) {
    const known = byId.get(m.id);
    if (known ? known.rev >= m.rev : !addNew) continue;
    byId.set(m.id, m);
    changed = true;
  }
  return changed ? bySeq([...byId.values()]) : list;
}

/** A change arriving for a message: is it newer than the oldest one shown (so it belongs in the list)? */
const belongsInList = (state: ChatState, m: ChatMessage) => state.olderCursor === null || state.messages.length === 0 || m.seq >= state.messages[0].seq;

/** Past the last message shown while the newest is not (held in `ahead`, never shown after a gap)? */
const pastView = (state: ChatState, m: ChatMessage) => state.newerCursor !== null && m.seq > Number(state.newerCursor);

function applyMessages(state: ChatState, incoming: ChatMessage[], fromSocket: boolean): ChatState {
  if (incoming.length === 0) return state;
  const shown = incoming.filter((m) => belongsInList(state, m) && !pastView(state, m));
  const held = incoming.filter((m) => pastView(state, m));
  const ahead = held.length ? merge(state.ahead, held, true).slice(-MAX_AHEAD) : state.ahead;
  const messages = forgetQuotesOf(merge(state.messages, shown, true), incoming);
  // the pinned list follows each message's own pinned flag
  let pinned = merge(state.pinned, incoming, false).filter((m) => m.pinned && !m.deleted);
  for (const m of incoming) if (m.pinned && !m.deleted && !pinned.some((p) => p.id === m.id)) pinned = [m, ...pinned];
  // a message of ours that came back through the broadcast or a replay is no longer pending
  const stored = new Set(incoming.flatMap((m) => (m.clientId ? [m.clientId] : [])));
  const pending = stored.size ? state.pending.filter((p) => !stored.has(p.clientId)) : state.pending;
  const rev = fromSocket ? Math.max(state.rev, ...incoming.map((m) => m.rev)) : state.rev;
  return { ...state, messages, pinned, pending, rev, ahead };
}

/**
 * The view grown to `newerCursor` (null: to the newest): the held live messages it now reaches
 * join the list (by id, the higher rev kept), the rest stay held.
 */
function reachNewer(state: ChatState, messages: ChatMessage[], newerCursor: string | null): ChatState {
  const end = newerCursor === null ? Number.POSITIVE_INFINITY : Number(newerCursor);
  const start = messages[0]?.seq ?? 0;
  const reached = state.ahead.filter((m) => m.seq <= end && m.seq >= start);
  return { ...state, messages: merge(messages, reached, true), newerCursor, ahead: newerCursor === null ? [] : state.ahead.filter((m) => m.seq > end) };
}

/** A deleted message's words leave the replies quoting it too (the channel sends only the deleted one). */
function forgetQuotesOf(list: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const deleted = new Set(incoming.filter((m) => m.deleted).map((m) => m.id));
  if (deleted.size === 0) return list;
  return list.map((m) => (m.replyTo && deleted.has(m.replyTo.id) && !m.replyTo.deleted ? { ...m, replyTo: { ...m.replyTo, excerpt: "", deleted: true } } : m));
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "messages":
      return applyMessages(state, action.messages, action.fromSocket);
    case "ack": {
      // the ack's rev counts as applied only through the broadcast, which carries every change in
      // order: taking it here could skip changes with lower revs still on their way
      const next = applyMessages(state, [action.message], false);
      return { ...next, pending: next.pending.filter((p) => p.clientId !== action.clientId) };
    }
    case "refused":
      return mapPending(state, action.clientId, (p) => ({
        ...p,
        status: action.retryAt === null ? "failed" : "waiting",
        error: { code: action.code, message: action.message },
        retryAt: action.retryAt,
      }));
    case "queue":
      return state.pending.some((p) => p.clientId === action.message.clientId) ? state : { ...state, pending: [...state.pending, action.message] };
    case "sent": {
      const ids = new Set(action.clientIds);
      return { ...state, pending: state.pending.map((p) => (ids.has(p.clientId) ? { ...p, status: "sent" } : p)) };
    }
    case "disconnected":
      return { ...state, pending: state.pending.map((p) => (p.status === "sent" ? { ...p, status: "queued" } : p)) };
    case "retry":
      return mapPending(state, action.clientId, (p) => ({ ...p, status: "queued", error: null, retryAt: null }));
    case "discard":
      return { ...state, pending: state.pending.filter((p) => p.clientId !== action.clientId) };
    case "older":
      return { ...state, messages: merge(state.messages, action.page.items, true), olderCursor: action.page.nextCursor };
    case "newer":
      // a stale answer (the view moved on: jumped to the newest) changes nothing
      if (state.newerCursor === null) return state;
      return reachNewer(state, merge(state.messages, action.page.items, true), action.page.nextCursor);
    case "newest":
      // the resume point stays the socket's: the page only fills the view
      return reachNewer({ ...state, olderCursor: action.page.nextCursor }, bySeq(action.page.items), null);
    case "reload":
      return { ...initialChatState(action.page), pending: state.pending };
    case "settings":
      return { ...state, slowModeSeconds: action.slowModeSeconds };
  }
}

function mapPending(state: ChatState, clientId: string, change: (p: PendingMessage) => PendingMessage): ChatState {
  if (!state.pending.some((p) => p.clientId === clientId)) return state;
  return { ...state, pending: state.pending.map((p) => (p.clientId === clientId ? change(p) : p)) };
}

/**
 * The pending messages to put on the wire now (`now` in ms), in the order they were written:
 * those written after one still waiting out a rate limit wait behind it, so the channel stores
 * them in order. A failed one is out of the line until retried.
 */
export function dueToSend(state: ChatState, now: number): PendingMessage[] {
  const due: PendingMessage[] = [];
  for (const p of state.pending) {
    if (p.status === "waiting" && (p.retryAt === null || p.retryAt > now)) break;
    if (p.status === "queued" || p.status === "waiting") due.push(p);
  }
  return due;
}

/**
 * The state change a frame from the channel makes, or null for frames the page handles itself
 * (an error without a client id: a notice, or `resume_too_far`: reload the history). A refusal
 * with `retryAfter` (rate limit, slow mode) waits until `now` + retryAfter seconds; any other
 * refusal of a send fails it, for the writer to retry or delete.
 */
export function frameAction(frame: ServerFrame, now: number): ChatAction | null {
  switch (frame.type) {
    case "ready":
    case "settings":
      return { type: "settings", slowModeSeconds: frame.slowModeSeconds };
    case "messages":
      return { type: "messages", messages: frame.messages, fromSocket: true };
    case "ack":
      return { type: "ack", clientId: frame.clientId, message: frame.message };
    case "error":
      if (!frame.clientId) return null;
      return {
        type: "refused",
        clientId: frame.clientId,
        code: frame.code,
        message: frame.message,
        retryAt: frame.retryAfter !== undefined && frame.code === "rate_limited" ? now + Math.ceil(frame.retryAfter) * 1_000 : null,
      };
    // read positions, who is here, typing (ADR 033): the page keeps these beside the history
    case "read":
    case "here":
    case "typing":
      return null;
  }
}

/**
 * Where a channel lives, from its id alone (ADR 033: a conversation's id is `dm_…`, a chat
 * space's `spc_…`): its API base (`/api/v1/spaces/:id` or `/api/v1/conversations/:id`, with
 * `/messages`, `/socket` and `/read` under it), the upload form's audience field (images in a DM
 * are served to its participants only), and the space whose readers "@" suggests (none in a DM:
 * its participants are few and in its header).
 */
export function chatChannel(channelId: string): { apiBase: string; uploadField: "spaceId" | "conversationId"; mentionSpaceId: string | null } {
  const dm = isConversationId(channelId);
  return {
    apiBase: `/api/v1/${dm ? "conversations" : "spaces"}/${encodeURIComponent(channelId)}`,
    uploadField: dm ? "conversationId" : "spaceId",
    mentionSpaceId: dm ? null : channelId,
  };
}
