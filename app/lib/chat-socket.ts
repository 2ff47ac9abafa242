// The browser's side of a chat channel (ADR 024): partysocket reconnects with backoff and asks
// for `?after=<highest rev applied>` each time; this hook turns frames into chat-state actions,
// puts the pending queue on the wire once the channel says `ready`, keeps the queue across a
// reload (localStorage), and tells the page how the connection is.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import PartySocket from "partysocket";
import { CloseCode, PING, PONG, ServerFrame, type ChatMessage, type ClientFrame } from "../../durable-objects/protocol";
import { chatChannel, chatReducer, dueToSend, frameAction, initialChatState, type HistoryPage, type PendingMessage } from "./chat-state";

/**
 * How the page is connected: "live" once the channel's `ready` frame arrived. Each close code of
 * protocol.ts CloseCode has its own: `accessRevoked` (4403) is "checking" while the page reloads
 * what the viewer may do (a demotion reconnects with the new role; a removal is "revoked"),
 * `slowConsumer` (4408) "behind" until it has resumed, `gone` (4404) "archived", `refresh` (4409)
 * "reconnecting" at once (a block changed what the viewer is shown).
 */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline" | "checking" | "behind" | "revoked" | "archived";

/** A ping this often while open; no pong within PONG_WAIT_MS means the connection is dead (a laptop lid, a lost network). */
const PING_EVERY_MS = 25_000;
const PONG_WAIT_MS = 8_000;
/**
 * How long after applying messages the page confirms them (`seen`) when fewer than the channel's
 * `confirmEvery` are unconfirmed: 30–60 s after the first. The count keeps a reader far from the
 * slow-reader limit (2,000 revs); the clock only keeps a quiet channel's record fresh. At 3–6 s a
 * thousand readers of a busy channel sent the object ten times more frames than its senders did
 * (bench/RESULTS.md, ADR 029 addendum).
 */
const SEEN_AFTER_MS = 30_000;

/** A client sends `typing` at most this often while composing (ADR 033); the object drops more than one per 2 s. */
const TYPING_EVERY_MS = 3_000;
/** "X is typing" shows this long after X's last typing frame. */
export const TYPING_SHOWN_MS = 5_000;

/** Someone composing in the channel, until `until` (ms). */
export type Typer = { userId: string; name: string; until: number };

/** A new client id (protocol.ts CLIENT_ID_PATTERN): 24 random hex digits, from getRandomValues, which works outside secure contexts too. */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `c${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A page of the channel's history (GET <apiBase>/messages, a space's or a conversation's, with `before`, `after` or neither: the newest); null when refused or offline. */
async function fetchHistory(spaceId: string, query: Record<string, string>): Promise<HistoryPage | null> {
  try {
    const res = await fetch(`${chatChannel(spaceId).apiBase}/messages?${new URLSearchParams({ limit: "50", ...query })}`, { credentials: "same-origin" });
    return res.ok ? ((await res.json()) as HistoryPage) : null;
  } catch {
    return null;
  }
}

const storageKey = (spaceId: string, userId: string) => `enclave.chat.pending.${userId}.${spaceId}`;
/** How long another tab's queued message waits before this tab takes it on (it sends its own within this when online). */
const ADOPT_AFTER_MS = 3_000;

function readStoredPending(key: string): PendingMessage[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((p): p is PendingMessage => typeof p?.clientId === "string" && typeof p?.body === "string" && Array.isArray(p?.imageIds));
  } catch {
    return [];
  }
}

/** An error the page shows once (a refused edit, a frame the channel could not read). */
export type ChatNotice = { code: string; message: string } | null;

/**
 * The channel `spaceId` (a chat space's or a DM conversation's id) as `userId` sees it, starting from the server-rendered `history`.
 * `live` false (a reader who may not write) renders the history without a socket.
 * Answers the state, the connection, and what the page may do: send (queued, never lost),
 * retry or discard a refused message, load older history, and apply an HTTP answer.
 */
export function useChatChannel({
  spaceId,
  userId,
  history,
  live,
  onAccessChanged,
}: {
  spaceId: string;
  userId: string;
  history: HistoryPage;
  live: boolean;
  /** the channel closed the socket because the viewer's access changed (4403): reload what they may do, then `reconnect` or give up */
  onAccessChanged: () => void;
}) {
  const [state, dispatch] = useReducer(chatReducer, history, (h) => initialChatState(h));
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [notice, setNotice] = useState<ChatNotice>(null);
  const [now, setNow] = useState(() => Date.now());
  const socketRef = useRef<PartySocket | null>(null);
  // who is here and who is typing (ADR 033): live only, never stored
  const [here, setHere] = useState<{ count: number; userIds: string[]; names: string[] }>({ count: 0, userIds: [], names: [] });
  const [typers, setTypers] = useState<Typer[]>([]);
  /** the highest read position this page sent or heard of; a lower one is not sent again */
  const readSent = useRef(0);
  const typingSentAt = useRef(0);
  const revRef = useRef(state.rev);
  revRef.current = state.rev;
  const restored = useRef(false);
  const accessChanged = useRef(onAccessChanged);
  accessChanged.current = onAccessChanged;

  // the queue outlives a reload or a closed tab: what was written offline is sent on the next visit
  useEffect(() => {
    if (!live) return;
    const key = storageKey(spaceId, userId);
    if (!restored.current) {
      restored.current = true;
      for (const message of readStoredPending(key)) dispatch({ type: "queue", message: { ...message, status: message.status === "failed" ? "failed" : "queued" } });
      return;
    }
    try {
      if (state.pending.length) localStorage.setItem(key, JSON.stringify(state.pending));
      else localStorage.removeItem(key);
    } catch {
      /* storage full or refused: the queue still lives in this tab */
    }
  }, [live, spaceId, userId, state.pending]);

  // the member's other tabs share the queue: what another tab queued and did not send (it is
  // offline, or was closed first) this one takes on after ADOPT_AFTER_MS and sends too. A message
  // the other tab put on the wire meanwhile reads "sent" or is gone by then, so an online tab's
  // messages are not sent twice; when both do send one, the channel stores its client id once.
  // Each tab writes the whole queue it holds, so one tab's write keeps what it took from the other.
  useEffect(() => {
    if (!live) return;
    const key = storageKey(spaceId, userId);
    let adopt: ReturnType<typeof setTimeout> | null = null;
    const onStorage = (event: StorageEvent) => {
      if (event.key !== key || event.newValue === null) return;
      if (adopt) clearTimeout(adopt);
      adopt = setTimeout(() => {
        adopt = null;
        for (const message of readStoredPending(key)) {
          if (message.status === "sent") continue;
          dispatch({ type: "queue", message: { ...message, status: message.status === "failed" ? "failed" : "queued" } });
        }
      }, ADOPT_AFTER_MS);
    };
    window.addEventListener("storage", onStorage);
    return () => {
      if (adopt) clearTimeout(adopt);
      window.removeEventListener("storage", onStorage);
    };
  }, [live, spaceId, userId]);

  useEffect(() => {
    if (!live) return;
    const socket = new PartySocket({
      host: location.host,
      protocol: location.protocol === "https:" ? "wss" : "ws",
      basePath: `${chatChannel(spaceId).apiBase.slice(1)}/socket`,
      // evaluated on every (re)connect: resume from what this page has applied
      query: () => ({ after: String(revRef.current) }),
      // our own queue resends by client id; the library's would send frames twice
      maxEnqueuedMessages: 0,
      minReconnectionDelay: 500 + Math.random() * 1_000,
      maxReconnectionDelay: 15_000,
      // the channel is gone: reconnecting would be refused; access changed: the page checks first;
      // a block changed: the close handler reconnects at once, without the library's backoff
      shouldReconnectOnClose: (event) => event.code !== CloseCode.accessRevoked && event.code !== CloseCode.gone && event.code !== CloseCode.refresh,
      startClosed: !navigator.onLine,
    });
    socketRef.current = socket;
    let pongDue: ReturnType<typeof setTimeout> | null = null;
    let seenTimer: ReturnType<typeof setTimeout> | null = null;
    // one frame right after each (re)connect: workerd frees the connection of a socket the object
    // closes (4403, 4404, 4408) only once its client has sent something; a silent client waited
    // ~2 s (Chromium's limit) for its close event. The runtime answers a ping without the object.
    socket.addEventListener("open", () => socket.send(PING));
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN || pongDue) return;
      socket.send(PING);
      pongDue = setTimeout(() => {
        pongDue = null;
        socket.reconnect(4000, "no pong");
      }, PONG_WAIT_MS);
    }, PING_EVERY_MS);
    // `seen` by count (the channel's `confirmEvery`, from `ready`), and otherwise a few seconds after
    // the last unconfirmed change, at a time of this reader's own: a thousand readers of one message
    // confirming together a second later was a burst of a thousand frames the object had to handle
    let confirmEvery = 1;
    let confirmed = 0;
    const sendSeen = () => {
      if (seenTimer) clearTimeout(seenTimer);
      seenTimer = null;
      if (socket.readyState !== socket.OPEN || revRef.current <= confirmed) return;
      confirmed = revRef.current;
      socket.send(JSON.stringify({ type: "seen", rev: confirmed } satisfies ClientFrame));
    };
    const confirmSeen = () => {
      if (revRef.current - confirmed >= confirmEvery) sendSeen();
      else seenTimer ??= setTimeout(sendSeen, SEEN_AFTER_MS + Math.random() * SEEN_AFTER_MS);
    };

    const reloadHistory = async () => {
      const page = await fetchHistory(spaceId, {});
      if (!page) return;
      dispatch({ type: "reload", page });
      // resume from the fresh page, not from the point the channel could not replay from
      revRef.current = page.head;
      socket.reconnect(4000, "reloaded");
    };

    socket.addEventListener("message", (event) => {
      if (event.data === PONG) {
        if (pongDue) clearTimeout(pongDue);
        pongDue = null;
        return;
      }
      let parsed;
      try {
        parsed = ServerFrame.safeParse(JSON.parse(String(event.data)));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const frame = parsed.data;
      const action = frameAction(frame, Date.now());
      if (action) dispatch(action);
      if (frame.type === "ready") {
        confirmEvery = frame.confirmEvery;
        // a new connection's attachment counts from what the resume sends; nothing is confirmed yet
        confirmed = 0;
        // a read frame lost with the old connection goes again with the next markRead
        readSent.current = 0;
        setConnection("live");
      }
      else if (frame.type === "here") setHere({ count: frame.count, userIds: frame.userIds, names: frame.names });
      else if (frame.type === "typing") {
        const until = Date.now() + TYPING_SHOWN_MS;
        setTypers((list) => [...list.filter((t) => t.userId !== frame.userId), { userId: frame.userId, name: frame.name, until }]);
      } else if (frame.type === "read") readSent.current = Math.max(readSent.current, frame.seq);
      else if (frame.type === "messages") confirmSeen();
      else if (frame.type === "error" && !frame.clientId) {
        if (frame.code === "resume_too_far") void reloadHistory();
        else setNotice({ code: frame.code, message: frame.message });
      }
    });
    socket.addEventListener("close", (event) => {
      dispatch({ type: "disconnected" });
      if (pongDue) clearTimeout(pongDue);
      pongDue = null;
      if (event.code === CloseCode.gone) setConnection("archived");
      else if (event.code === CloseCode.accessRevoked) {
        setConnection("checking");
        accessChanged.current();
      } else if (event.code === CloseCode.slowConsumer) setConnection("behind");
      else if (event.code === CloseCode.refresh) {
        // the viewer blocked or unblocked someone: the new socket carries the new hidden set and
        // resumes (?after=) from what this page applied
        setConnection("reconnecting");
        socket.reconnect();
      } else setConnection(navigator.onLine ? "reconnecting" : "offline");
    });
    // the browser knows the network went away before the socket does: stop trying, and start
    // again (resuming) the moment it is back
    const offline = () => {
      setConnection("offline");
      socket.close(4000, "offline");
    };
    const online = () => {
      setConnection("reconnecting");
      socket.reconnect();
    };
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    if (!navigator.onLine) setConnection("offline");
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      clearInterval(ping);
      if (pongDue) clearTimeout(pongDue);
      if (seenTimer) clearTimeout(seenTimer);
      socketRef.current = null;
      socket.close(1000, "left");
    };
  }, [live, spaceId]);

  // put what is due on the wire, in order, once the channel is ready
  useEffect(() => {
    const socket = socketRef.current;
    if (connection !== "live" || !socket) return;
    const due = dueToSend(state, Date.now());
    const sent: string[] = [];
    for (const p of due) {
      const frame = { type: "send", clientId: p.clientId, body: p.body, replyTo: p.replyTo?.id ?? null, imageIds: p.imageIds, mentionIds: p.mentionIds } satisfies ClientFrame;
      if (!socket.send(JSON.stringify(frame))) break;
      sent.push(p.clientId);
    }
    if (sent.length) dispatch({ type: "sent", clientIds: sent });
  }, [connection, state, now]);

  // a message waiting out a rate limit or slow mode goes again when its wait is over; the tick
  // also counts the wait down on screen
  const waiting = state.pending.some((p) => p.status === "waiting");
  useEffect(() => {
    if (!waiting) return;
    const tick = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(tick);
  }, [waiting]);

  const send = useCallback((input: Pick<PendingMessage, "body" | "replyTo" | "imageIds" | "imageUrls" | "mentionIds">) => {
    dispatch({ type: "queue", message: { ...input, clientId: newClientId(), status: "queued", error: null, retryAt: null } });
  }, []);
  /** Connect again with a fresh access check (after `onAccessChanged`, when the viewer may still write). */
  const reconnect = useCallback(() => {
    setConnection("reconnecting");
    socketRef.current?.reconnect();
  }, []);
  /** The page showed messages up to `seq`: move the read position (sent only when it moves forward). */
  const markRead = useCallback((seq: number) => {
    const socket = socketRef.current;
    if (!socket || socket.readyState !== socket.OPEN || seq <= readSent.current) return;
    readSent.current = seq;
    socket.send(JSON.stringify({ type: "read", seq } satisfies ClientFrame));
  }, []);
  /** The member is composing: tell the channel, at most every TYPING_EVERY_MS. */
  const typing = useCallback(() => {
    const socket = socketRef.current;
    const now = Date.now();
    if (!socket || socket.readyState !== socket.OPEN || now - typingSentAt.current < TYPING_EVERY_MS) return;
    typingSentAt.current = now;
    socket.send(JSON.stringify({ type: "typing" } satisfies ClientFrame));
  }, []);
  // "X is typing" goes 5 s after X's last frame
  useEffect(() => {
    if (typers.length === 0) return;
    const next = Math.min(...typers.map((t) => t.until)) - Date.now();
    const timer = setTimeout(() => setTypers((list) => list.filter((t) => t.until > Date.now())), Math.max(0, next) + 50);
    return () => clearTimeout(timer);
  }, [typers]);
  const retry = useCallback((clientId: string) => dispatch({ type: "retry", clientId }), []);
  const discard = useCallback((clientId: string) => dispatch({ type: "discard", clientId }), []);
  /** A message as an HTTP answer gave it (an edit, a reaction): shown now, the broadcast confirms it. */
  const applied = useCallback((message: ChatMessage) => dispatch({ type: "messages", messages: [message], fromSocket: false }), []);

  // one history load at a time: older, newer or the newest page
  const [loading, setLoading] = useState<"older" | "newer" | "newest" | null>(null);
  const loadPage = useCallback(
    async (kind: "older" | "newer" | "newest", query: Record<string, string> | null) => {
      if (!query || loading) return false;
      setLoading(kind);
      try {
        const page = await fetchHistory(spaceId, query);
        if (page) dispatch({ type: kind, page });
        return page !== null;
      } finally {
        setLoading(null);
      }
    },
    [spaceId, loading],
  );
  const loadOlder = useCallback(() => loadPage("older", state.olderCursor ? { before: state.olderCursor } : null), [loadPage, state.olderCursor]);
  const loadNewer = useCallback(() => loadPage("newer", state.newerCursor ? { after: state.newerCursor } : null), [loadPage, state.newerCursor]);
  const jumpToNewest = useCallback(() => loadPage("newest", state.newerCursor ? {} : null), [loadPage, state.newerCursor]);

  return {
    state,
    connection: live ? connection : ("live" as const),
    notice,
    clearNotice: () => setNotice(null),
    now,
    send,
    reconnect,
    retry,
    discard,
    applied,
    loadOlder,
    loadNewer,
    jumpToNewest,
    loading,
    here,
    typers: typers.filter((t) => t.userId !== userId),
    markRead,
    typing,
  };
}
