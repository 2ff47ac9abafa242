// The browser's side of the community's presence object (ADR 033): one socket per page, shared by
// every component that asks (the header opens it; the member list reads the same store).
// partysocket reconnects with backoff; `online` and `presence` frames keep the set of online
// members, and an `inbox` frame re-reads the unread counts (one D1 query on the server) and asks
// the page's loaders to run again, so the sidebar's badges follow.
import { useEffect, useSyncExternalStore } from "react";
import PartySocket from "partysocket";
import { CloseCode, PING, PONG, PresenceServerFrame } from "../../durable-objects/protocol";

/** A ping this often keeps the connection (and so the member's presence) alive through proxies. */
const PING_EVERY_MS = 25_000;
/** `inbox` frames closer together than this re-read the counts once. */
const INBOX_DEBOUNCE_MS = 300;

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

async function readUnread(slug: string, store: Store) {
  try {
    const res = await fetch(`/api/v1/communities/${encodeURIComponent(slug)}/unread`, { credentials: "same-origin" });
    if (!res.ok) return;
    const body = (await res.json()) as { items: Array<{ channelId: string; unread: number }>; total: number };
    update(store, { unread: new Map(body.items.map((i) => [i.channelId, i.unread])), unreadTotal: body.total });
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
      inboxTimer ??= setTimeout(() => {
        inboxTimer = null;
        void readUnread(slug, store).then(() => update(store, { inboxVersion: store.snapshot.inboxVersion + 1 }));
      }, INBOX_DEBOUNCE_MS);
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
