// The browser's side of the community's presence object (ADR 033): one socket per page, shared by
// every component that asks (the header opens it; the member list reads the same store).
// partysocket reconnects with backoff; `online` and `presence` frames keep the set of online
// members, and an `inbox` frame re-reads the unread counts (one D1 query on the server) and asks
// the page's loaders to run again, so the sidebar's badges follow.
import { useEffect, useSyncExternalStore } from "react";
import PartySocket from "partysocket";
import { CloseCode, PING, PONG, PresenceServerFrame, isConversationId } from "../../durable-objects/protocol";

/** A ping this often keeps the connection (and so the member's presence) alive through proxies. */
const PING_EVERY_MS = 25_000;
/**
 * How long the page gathers `inbox` frames before it reads its counts again (ms): a DM at once; a
 * space's new messages, which every reader online hears of, 1–4 s later at a time of each page's
 * own, so a busy community's pages do not all ask in the same instant.
 */
const INBOX_DEBOUNCE_MS = 300;
const SPACE_INBOX_DELAY_MS = () => 1_000 + Math.random() * 3_000;

/** What the page knows of the community now. */
export type PresenceSnapshot = {
  online: ReadonlySet<string>;
  /** unread per channel id (chat spaces and conversations), and their total */
  unread: ReadonlyMap<string, number>;
  unreadTotal: number;
  /** grows with every `inbox` frame, so a page can reload what depends on the counts */
  inboxVersion: number;
};

type Store = { snapshot: PresenceSnapshot; listeners: Set<() => void>; users: number; close: () => void };

const stores = new Map<string, Store>();
const EMPTY: PresenceSnapshot = { online: new Set(), unread: new Map(), unreadTotal: 0, inboxVersion: 0 };

function update(store: Store, change: Partial<PresenceSnapshot>) {
  store.snapshot = { ...store.snapshot, ...change };
  for (const listener of store.listeners) listener();
}

/**
 * How long a channel the page itself read to its end counts as read whatever the server says (ms):
 * the channel's outbox forward mirrors the read into D1 about half a second later, and a count
 * read before that (the presence socket's first read, an inbox push) would show it unread again.
 */
const READ_HERE_HOLD_MS = 5_000;
/** Channels this page read to their end, and when (ms). */
const readHere = new Map<string, number>();

/** Counts with the channels this page just read to their end at 0 (READ_HERE_HOLD_MS). */
function withReadHere(unread: Map<string, number>, total: number): { unread: Map<string, number>; unreadTotal: number } {
  const now = Date.now();
  for (const [channelId, at] of readHere) {
    if (now - at >= READ_HERE_HOLD_MS) readHere.delete(channelId);
    else {
      total -= unread.get(channelId) ?? 0;
      unread.set(channelId, 0);
    }
  }
  return { unread, unreadTotal: Math.max(0, total) };
}

/**
 * The chat page showed `channelId` to its newest message: its badge goes to 0 now, in every open
 * community store, rather than when the server's count catches up (READ_HERE_HOLD_MS).
 */
export function markChannelRead(channelId: string): void {
  readHere.set(channelId, Date.now());
  for (const store of stores.values()) {
    if (store.snapshot.unread.get(channelId) === 0) continue;
    update(store, withReadHere(new Map(store.snapshot.unread), store.snapshot.unreadTotal));
  }
}

async function readUnread(slug: string, store: Store) {
  // offline the request could only fail (and the browser logs it): the socket's reopening reads again
  if (!navigator.onLine) return;
  try {
    const res = await fetch(`/api/v1/communities/${encodeURIComponent(slug)}/unread`, { credentials: "same-origin" });
    if (!res.ok) return;
    const body = (await res.json()) as { items: Array<{ channelId: string; unread: number }>; total: number };
    update(store, withReadHere(new Map(body.items.map((i) => [i.channelId, i.unread])), body.total));
  } catch {
    /* offline: the counts stay as they were */
  }
}

function open(slug: string): Store {
  const store: Store = { snapshot: EMPTY, listeners: new Set(), users: 0, close: () => {} };
  const socket = new PartySocket({
    host: location.host,
    protocol: location.protocol === "https:" ? "wss" : "ws",
    basePath: `api/v1/communities/${slug}/presence/socket`,
    maxEnqueuedMessages: 0,
    minReconnectionDelay: 1_000 + Math.random() * 2_000,
    maxReconnectionDelay: 30_000,
    // no longer a member: asking again would be refused
    shouldReconnectOnClose: (event) => event.code !== CloseCode.accessRevoked,
  });
  let inboxTimer: ReturnType<typeof setTimeout> | null = null;
  let inboxDue = 0;
  socket.addEventListener("open", () => {
    socket.send(PING);
    void readUnread(slug, store);
  });
  socket.addEventListener("message", (event) => {
    if (event.data === PONG) return;
    let parsed;
    try {
      parsed = PresenceServerFrame.safeParse(JSON.parse(String(event.data)));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.type === "online") update(store, { online: new Set(frame.userIds) });
    else if (frame.type === "presence") {
      const online = new Set(store.snapshot.online);
      if (frame.online) online.add(frame.userId);
      else online.delete(frame.userId);
      update(store, { online });
    } else if (frame.type === "inbox") {
      const due = Date.now() + (isConversationId(frame.channelId) ? INBOX_DEBOUNCE_MS : SPACE_INBOX_DELAY_MS());
      // a DM's news moves a pending read earlier; a space's never delays one already set
      if (inboxTimer !== null && inboxDue <= due) return;
      if (inboxTimer !== null) clearTimeout(inboxTimer);
      inboxDue = due;
      inboxTimer = setTimeout(() => {
        inboxTimer = null;
        void readUnread(slug, store).then(() => update(store, { inboxVersion: store.snapshot.inboxVersion + 1 }));
      }, due - Date.now());
    }
  });
  const ping = setInterval(() => {
    if (socket.readyState === socket.OPEN) socket.send(PING);
  }, PING_EVERY_MS);
  store.close = () => {
    clearInterval(ping);
    if (inboxTimer) clearTimeout(inboxTimer);
    socket.close(1000, "left");
  };
  return store;
}

/**
 * The community's presence and unread counts, live. `enabled` false (a visitor who is not a
 * member) opens nothing and answers an empty snapshot.
 */
export function usePresence(slug: string, enabled: boolean): PresenceSnapshot {
  useEffect(() => {
    if (!enabled) return;
    let store = stores.get(slug);
    if (!store) stores.set(slug, (store = open(slug)));
    store.users++;
    return () => {
      const current = stores.get(slug);
      if (!current || --current.users > 0) return;
      current.close();
      stores.delete(slug);
    };
  }, [slug, enabled]);
  return useSyncExternalStore(
    (listener) => {
      // the store may be made by the effect after the first render: subscribe lazily
      let store = stores.get(slug);
      if (!store && enabled) stores.set(slug, (store = open(slug)));
      if (!store) return () => {};
      store.listeners.add(listener);
      return () => store!.listeners.delete(listener);
    },
    () => stores.get(slug)?.snapshot ?? EMPTY,
    () => EMPTY,
  );
}
