// A chat space's page body (issue 12): the server-rendered history, then live through the
// channel's socket (app/lib/chat-socket.ts); pinned messages on top; each message with reply,
// reactions and — as the viewer's flags allow — edit, delete and pin; the composer (Enter sends,
// Shift+Enter breaks the line, nothing is sent while an input method composes); the pending
// queue greyed until acknowledged; the connection said aloud (aria-live).
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useFetcher, useRevalidator } from "react-router";
import { isConversationId, MAX_MESSAGE_CHARS, MAX_MESSAGE_IMAGES, type ChatMessage } from "../../durable-objects/protocol";
import { useChatChannel, type ConnectionState } from "../lib/chat-socket";
import { markChannelRead } from "../lib/presence-socket";
import { chatChannel, type HistoryPage, type PendingMessage } from "../lib/chat-state";
import { mentionIdsFor, mentionsForEditing, type MentionRef } from "../lib/mentions";
import { reactionEmojis } from "../lib/types";
import type { ChatNotifyLevel } from "../../workers/db/schema";
import { emojiKeys, ImageIcon, PinIcon, RichText, SmileIcon, useDismissable, useHydrated, useMentionSuggestions } from "./discussions";
import { LocalTime } from "./local-time";
import { Name } from "./name";
import { Alert, Avatar, Button, cx, focusRing } from "./ui";

/** The counter shows from here on: the last 10% before MAX_MESSAGE_CHARS. */
const COUNTER_FROM = MAX_MESSAGE_CHARS - 400;
/** Scrolling up to within this many pixels of the log's top loads older messages. */
const AUTOLOAD_OLDER_PX = 160;
/** Slow mode choices offered to moderators, in seconds (the channel takes 0 to 21,600). */
const SLOW_MODE_CHOICES = [0, 5, 10, 30, 60, 300, 900, 3600];
export const chatNotifyLevels = ["all", "mentions", "none"] as const satisfies readonly ChatNotifyLevel[];

/** What the page knows about the viewer, from the server (not re-derived here from roles). */
export type ChatViewer = {
  userId: string;
  name: string;
  /** may send, react and reply (an active member) */
  canWrite: boolean;
  /** may edit, delete and pin anyone's messages, and set slow mode (viewer.permissions "content.moderate") */
  canModerate: boolean;
  notifyLevel: (typeof chatNotifyLevels)[number] | null;
};

const codePoints = (text: string) => [...text].length;

/** The channel's messages, live, with the composer: the page's whole chat. */
export function ChatChannelView({ spaceId, spaceName, history, viewer }: { spaceId: string; spaceName: string; history: HistoryPage; viewer: ChatViewer }) {
  const { t } = useTranslation();
  // access changed under the socket (a demotion, a removal): what the viewer may do comes from the
  // server again, and the socket reconnects as that — or the page says the access is gone
  const revalidator = useRevalidator();
  const hydrated = useHydrated();
  const [lostAccess, setLostAccess] = useState(false);
  // the viewer as it was when the socket closed 4403; the decision waits for a viewer loaded after
  // it (revalidate() resolves before a transition commits the new loader data, so its promise
  // cannot be the signal: a removed member read the old viewer and reconnected into a 403)
  const checkingFrom = useRef<ChatViewer | null>(null);
  const onAccessChanged = useCallback(() => {
    // one small read first: a member removed or banned from the channel would otherwise reload into
    // the generic "not found" page; the page says instead that their access ended
    void fetch(`${chatChannel(spaceId).apiBase}/messages?limit=1`, { credentials: "same-origin" })
      .then((res) => res.status === 403 || res.status === 404)
      .catch(() => false)
      .then((gone) => {
        if (gone) setLostAccess(true);
        else {
          checkingFrom.current = viewer;
          void revalidator.revalidate();
        }
      });
  }, [revalidator, viewer, spaceId]);
  const chat = useChatChannel({ spaceId, userId: viewer.userId, history, live: viewer.canWrite, onAccessChanged });
  const { state } = chat;
  const connection: ConnectionState = lostAccess ? "revoked" : chat.connection;
  const { reconnect } = chat;
  useEffect(() => {
    if (checkingFrom.current === null || checkingFrom.current === viewer) return;
    checkingFrom.current = null;
    if (viewer.canWrite) reconnect();
    else setLostAccess(true);
  }, [viewer, reconnect]);
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);
  const log = useRef<HTMLDivElement>(null);
  // a page opened at a linked message (?seq=N#msg-N) starts there, not at the bottom
  const linkedSeq = history.focusSeq ?? null;
  const nearBottom = useRef(linkedSeq === null);
  const keepOffset = useRef<number | null>(null);

  useLayoutEffect(() => {
    if (linkedSeq === null) return;
    document.getElementById(anchorOf({ seq: linkedSeq }))?.scrollIntoView({ block: "center" });
  }, [linkedSeq]);

  // new messages keep the view at the bottom if it was there; older ones loaded above keep the
  // messages one was reading where they were
  const count = state.messages.length + state.pending.length;
  const lastId = state.pending.at(-1)?.clientId ?? state.messages.at(-1)?.id;
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (keepOffset.current !== null) {
      el.scrollTop = el.scrollHeight - keepOffset.current;
      keepOffset.current = null;
    } else if (nearBottom.current) el.scrollTop = el.scrollHeight;
  }, [count, lastId]);

  // the newest message on screen, in a visible tab, is read (ADR 033): the read position follows
  const { markRead } = chat;
  const newestSeq = state.messages.at(-1)?.seq ?? 0;
  const newestSeqRef = useRef(newestSeq);
  newestSeqRef.current = newestSeq;
  const atNewestRef = useRef(state.newerCursor === null);
  atNewestRef.current = state.newerCursor === null;
  const readShown = useCallback(() => {
    if (!atNewestRef.current || !nearBottom.current || document.visibilityState !== "visible") return;
    markRead(newestSeqRef.current);
    // the sidebar's badge for this channel clears now, not when the server's count catches up
    markChannelRead(spaceId);
  }, [markRead, spaceId]);
  useEffect(() => {
    if (connection === "live") readShown();
  }, [newestSeq, connection, readShown]);
  useEffect(() => {
    document.addEventListener("visibilitychange", readShown);
    return () => document.removeEventListener("visibilitychange", readShown);
  }, [readShown]);

  const olderButton = useRef<HTMLButtonElement>(null);
  const lastScrollTop = useRef(0);
  // live messages that arrived below while the reader is scrolled up: counted, with a way down
  const [atBottom, setAtBottom] = useState(nearBottom.current);
  const [seenNewest, setSeenNewest] = useState(newestSeq);
  useEffect(() => {
    if (atBottom) setSeenNewest(newestSeq);
  }, [atBottom, newestSeq]);
  const unseenBelow = atBottom ? 0 : state.messages.filter((m) => m.seq > seenNewest && !m.deleted && m.author.id !== viewer.userId).length;
  const toBottom = () => {
    const el = log.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    nearBottom.current = true;
    setAtBottom(true);
  };
  const section = useRef<HTMLElement>(null);
  // a chat opens at its newest, as Discord and Slack do: the end of the log and the composer in
  // view (on a phone the header and description above would push them off the first screen)
  useEffect(() => {
    if (linkedSeq !== null) return;
    const rect = section.current?.getBoundingClientRect();
    if (rect && rect.bottom > window.innerHeight) window.scrollBy({ top: Math.min(rect.top, rect.bottom - window.innerHeight + 8) });
    // once, on opening
  }, []);
  // a keyboard reader keeps their place: the button (disabled while loading, so the page took the
  // focus) or, once the start is reached and it is gone, the log gets it back after the render
  const [refocusOlder, setRefocusOlder] = useState(false);
  useEffect(() => {
    if (!refocusOlder || chat.loading !== null) return;
    setRefocusOlder(false);
    (olderButton.current ?? log.current)?.focus({ preventScroll: true });
  }, [refocusOlder, chat.loading, state.olderCursor]);
  const loadOlder = async () => {
    const el = log.current;
    const hadFocus = document.activeElement === olderButton.current;
    if (el) keepOffset.current = el.scrollHeight - el.scrollTop;
    if (!(await chat.loadOlder())) keepOffset.current = null;
    if (hadFocus) setRefocusOlder(true);
  };
  // newer messages loaded below leave the reader where they were, to read on down
  const loadNewer = () => {
    nearBottom.current = false;
    void chat.loadNewer();
  };
  const jumpToNewest = () => {
    nearBottom.current = true;
    void chat.jumpToNewest();
  };
  const atNewest = state.newerCursor === null;
  // messages sent since the page loaded (a seq past the head it loaded at), not changes to older ones
  const sinceLink = state.ahead.filter((m) => m.seq > history.head).length;
  // pins and quoted replies link a message by anchor only when it is loaded here
  const shownSeqs = new Set(state.messages.map((m) => m.seq));
  const shown = (seq: number) => shownSeqs.has(seq);

  /** An edit, delete, reaction or pin over HTTP: its answer is shown at once, the broadcast confirms it. */
  const act = async (method: string, path: string, body?: unknown): Promise<boolean> => {
    setActionError(null);
    try {
      const res = await fetch(`/api/v1${path}`, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? undefined : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status === 204) return true;
      const json = (await res.json().catch(() => ({}))) as { message?: ChatMessage; error?: { code: string; message: string; maxChars?: number } };
      if (!res.ok || !json.message) {
        const code = json.error?.code ?? "error";
        setActionError(code === "too_large" ? t("apiError.too_large_text", { maxChars: MAX_MESSAGE_CHARS }) : t(`apiError.${code}`, { defaultValue: json.error?.message ?? t("apiError.error") }));
        return false;
      }
      chat.applied(json.message);
      return true;
    } catch {
      setActionError(t("chat.actionOffline"));
      return false;
    }
  };

  const reply = (message: ChatMessage) => {
    setReplyTo(message);
    composerRef.current?.focus();
  };

  // the access ended or the space was archived: the page says so, and shows none of its messages
  const gone = connection === "revoked" || connection === "archived";
  return (
    <div className="space-y-4" data-connection={hydrated ? connection : "server"}>
      <ConnectionBanner connection={connection} canWrite={viewer.canWrite || lostAccess} where="top" />
      {chat.notice ? <Alert tone="warning">{t(`apiError.${chat.notice.code}`, { defaultValue: chat.notice.message })}</Alert> : null}
      {actionError ? <Alert tone="danger">{actionError}</Alert> : null}
      {!gone && state.pinned.length > 0 ? <PinnedList pinned={state.pinned} shown={shown} /> : null}
      {gone ? null : (
        <section ref={section} aria-labelledby="chat-messages-heading" className="overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm">
          <h2 id="chat-messages-heading" className="sr-only">
            {t("chat.messagesHeading", { name: spaceName })}
          </h2>
          {viewer.canWrite && connection === "live" && chat.here.userIds.length > 0 ? <HereBar count={chat.here.count} names={chat.here.names} /> : null}
          <div
            ref={log}
            role="log"
            aria-label={t("chat.logLabel")}
            tabIndex={0}
            onScroll={(e) => {
              const el = e.currentTarget;
              nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
              if (nearBottom.current !== atBottom) setAtBottom(nearBottom.current);
              readShown();
              // scrolling up near the start loads the page before it (the button stays for keyboards)
              const up = el.scrollTop < lastScrollTop.current;
              lastScrollTop.current = el.scrollTop;
              // scrolling on while older messages load: they keep the place scrolled to, not the one left
              if (chat.loading === "older" && keepOffset.current !== null) keepOffset.current = el.scrollHeight - el.scrollTop;
              if (up && el.scrollTop < AUTOLOAD_OLDER_PX && state.olderCursor && chat.loading === null) void loadOlder();
            }}
            className={cx("flex max-h-[65vh] min-h-64 flex-col overflow-y-auto overscroll-contain py-2", focusRing)}
          >
            {/* a short conversation sits at the bottom, by the composer, as chat reads */}
            <div className="mt-auto">
              {state.olderCursor ? (
                <div className="flex justify-center py-2">
                  <Button ref={olderButton} variant="secondary" size="sm" onClick={() => void loadOlder()} disabled={chat.loading !== null}>
                    {chat.loading === "older" ? t("chat.loadingOlder") : t("chat.loadOlder")}
                  </Button>
                </div>
              ) : state.messages.length > 0 ? (
                <p className="px-4 py-2 text-center text-xs text-slate-600">{t(isConversationId(spaceId) ? "chat.startConversation" : "chat.start")}</p>
              ) : null}
              {state.messages.length === 0 && state.pending.length === 0 ? (
                <p className="px-4 py-10 text-center text-sm text-slate-600">{viewer.canWrite ? t("chat.empty") : t("chat.emptyGuest")}</p>
              ) : null}
              <ol className="space-y-0.5">
                {state.messages.map((m) => (
                  <MessageItem key={m.id} message={m} viewer={viewer} onReply={reply} act={act} linked={m.seq === linkedSeq} shown={shown} />
                ))}
                {state.pending.map((p) => (
                  <PendingItem key={p.clientId} pending={p} viewer={viewer} now={chat.now} connected={connection === "live"} onRetry={chat.retry} onDiscard={chat.discard} />
                ))}
              </ol>
              {atNewest ? null : (
                <div className="flex justify-center py-2">
                  <Button variant="secondary" size="sm" onClick={loadNewer} disabled={chat.loading !== null}>
                    {chat.loading === "newer" ? t("chat.loadingNewer") : t("chat.loadNewer")}
                  </Button>
                </div>
              )}
            </div>
          </div>
          {atNewest ? null : (
            // the view is older than the conversation: live messages wait until the reader comes down
            <div className="flex items-center justify-center gap-2 border-t border-slate-200 bg-sky-50 px-3 py-2 text-sm text-sky-900">
              <span aria-live="polite">{sinceLink > 0 ? t("chat.newSinceLink", { count: sinceLink }) : t("chat.olderView")}</span>
              <Button size="sm" onClick={jumpToNewest} disabled={chat.loading !== null}>
                {t("chat.jumpToNewest")}
              </Button>
            </div>
          )}
          {atNewest && unseenBelow > 0 ? (
            <div className="flex items-center justify-center gap-2 border-t border-slate-200 bg-sky-50 px-3 py-2 text-sm text-sky-900">
              <span aria-live="polite">{t("chat.newBelow", { count: unseenBelow })}</span>
              <Button size="sm" onClick={toBottom}>
                {t("chat.jumpToNewest")}
              </Button>
            </div>
          ) : null}
          {/* offline, reconnecting…: said by the composer, where the reader is writing */}
          <ConnectionBanner connection={connection} canWrite={viewer.canWrite} where="composer" />
          {viewer.canWrite ? <TypingLine typers={chat.typers} /> : null}
          {viewer.canWrite ? (
            <Composer
              spaceId={spaceId}
              spaceName={spaceName}
              areaRef={composerRef}
              replyTo={replyTo}
              onCancelReply={() => setReplyTo(null)}
              slowModeSeconds={state.slowModeSeconds}
              exempt={viewer.canModerate}
              onTyping={chat.typing}
              onSend={(message) => {
                // what one writes is read at the newest end: go there, so the sent message is seen
                if (!atNewest) void chat.jumpToNewest();
                nearBottom.current = true;
                chat.send({ ...message, replyTo });
                setReplyTo(null);
              }}
            />
          ) : null}
        </section>
      )}
      {/* a DM has neither a notification level nor slow mode (its viewer carries no level) */}
      {!gone && viewer.canWrite && (viewer.notifyLevel !== null || viewer.canModerate) ? <ChannelSettings viewer={viewer} slowModeSeconds={state.slowModeSeconds} /> : null}
    </div>
  );
}

/** Who has the channel open now: a count, and the names (the first few, the rest on hover and for screen readers). */
function HereBar({ count, names }: { count: number; names: string[] }) {
  const { t } = useTranslation();
  // a big channel names its first few and says how many more
  const all = count > names.length ? t("chat.hereMore", { names: names.join(", "), count: count - names.length }) : names.join(", ");
  return (
    <div className="flex items-center gap-2 border-b border-slate-200 px-4 py-2 text-xs text-slate-600" data-testid="chat-here">
      <span aria-hidden="true" className="size-2 shrink-0 rounded-full bg-emerald-500" />
      <span className="shrink-0 font-semibold text-slate-700">{t("chat.here", { count })}</span>
      <span className="min-w-0 truncate" title={all}>
        <span className="sr-only">{t("chat.hereLabel", { names: all })}</span>
        <span aria-hidden="true">{all}</span>
      </span>
    </div>
  );
}

/** "X is typing…": announced politely, kept one line high so the composer does not jump. */
function TypingLine({ typers }: { typers: Array<{ userId: string; name: string }> }) {
  const { t } = useTranslation();
  const text =
    typers.length === 0
      ? ""
      : typers.length === 1
        ? t("chat.typingOne", { name: typers[0].name })
        : typers.length === 2
          ? t("chat.typingTwo", { a: typers[0].name, b: typers[1].name })
          : t("chat.typingMany");
  return (
    <p aria-live="polite" className="h-6 truncate border-t border-slate-100 px-4 pt-1 text-xs italic text-slate-600" data-testid="chat-typing">
      {text}
    </p>
  );
}

/** "Connecting…", "Reconnecting…", offline: said politely to screen readers, shown while not live. */
/**
 * The connection said aloud: `where` "top" says the end states (access ended, space archived) above
 * the channel, "composer" the passing ones (connecting, offline, reconnecting…) by the composer.
 */
function ConnectionBanner({ connection, canWrite, where }: { connection: ConnectionState; canWrite: boolean; where: "top" | "composer" }) {
  const { t } = useTranslation();
  const hydrated = useHydrated();
  // the first connection usually takes a moment: say "connecting…" only if it takes longer, so
  // an ordinary page load neither flashes a banner nor announces one
  const [patient, setPatient] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setPatient(true), 1_500);
    return () => clearTimeout(timer);
  }, []);
  // before hydration there is no socket yet: the history is what the page shows
  const final = connection === "revoked" || connection === "archived";
  const shown = canWrite && hydrated && connection !== "live" && (connection !== "connecting" || patient) && final === (where === "top");
  const text = !shown ? "" : t(`chat.connection.${connection}`);
  const tone =
    connection === "revoked" || connection === "archived"
      ? "border-red-200 bg-red-50 text-red-900"
      : connection === "offline"
        ? "border-amber-200 bg-amber-50 text-amber-900"
        : "border-sky-200 bg-sky-50 text-sky-900";
  return (
    <div aria-live="polite" aria-atomic="true">
      {shown ? (
        <p className={cx("flex items-center gap-2 border px-4 py-2 text-sm", where === "top" ? "rounded-xl" : "border-x-0 border-b-0", tone)}>
          {connection === "connecting" || connection === "reconnecting" || connection === "checking" || connection === "behind" ? <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-current" /> : null}
          {text}
          {connection === "revoked" ? (
            <Link to="/" className={cx("ml-auto shrink-0 font-medium underline", focusRing)}>
              {t("chat.connection.revokedLink")}
            </Link>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}

function PinnedList({ pinned, shown }: { pinned: ChatMessage[]; shown: (seq: number) => boolean }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="chat-pinned-heading" className="rounded-2xl border border-amber-200 bg-amber-50/60 p-3">
      <h2 id="chat-pinned-heading" className="flex items-center gap-1.5 px-1 pb-2 text-xs font-semibold uppercase tracking-wide text-amber-900">
        <PinIcon className="size-3.5" />
        {t("chat.pinnedHeading")}
      </h2>
      <ul className="space-y-1.5">
        {pinned.map((m) => (
          <li key={m.id} className="min-w-0 rounded-lg bg-white px-3 py-2 text-sm shadow-sm ring-1 ring-amber-100">
            <span className="font-semibold text-slate-900">
              <Name>{m.author.name}</Name>
            </span>{" "}
            <MessageLink seq={m.seq} shown={shown(m.seq)} className={cx("rounded text-xs text-slate-600 underline-offset-2 hover:underline", focusRing)}>
              <LocalTime value={m.createdAt} withTime relative />
            </MessageLink>
            <RichText html={m.html} size="sm" scope={`pin-${m.seq}`} className="line-clamp-3 [overflow-wrap:anywhere]" />
          </li>
        ))}
      </ul>
    </section>
  );
}

const anchorOf = (m: { seq: number }) => `msg-${m.seq}`;

/**
 * A link to message `seq` from inside the page (a pin, a quoted reply): its anchor when the page
 * shows it, else the page opened around it (`?seq=N#msg-N`, as search and notifications link it),
 * since an older message may not be loaded.
 */
function MessageLink({ seq, shown, className, children }: { seq: number; shown: boolean; className: string; children: ReactNode }) {
  if (shown) return <a href={`#${anchorOf({ seq })}`} className={className}>{children}</a>;
  return <Link to={{ search: `?seq=${seq}`, hash: `#${anchorOf({ seq })}` }} className={className}>{children}</Link>;
}

/** The members a message's HTML names in its mention pills, for editing it as "@Name" text. */
function mentionsInHtml(html: string): MentionRef[] {
  const found: MentionRef[] = [];
  for (const match of html.matchAll(/data-user-id="([^"]+)"[^>]*>@([^<]*)</g)) found.push({ id: match[1], name: decodeEntities(match[2]) });
  return found;
}
const decodeEntities = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] ?? "");

type Act = (method: string, path: string, body?: unknown) => Promise<boolean>;

function MessageItem({
  message: m,
  viewer,
  onReply,
  act,
  linked,
  shown,
}: {
  message: ChatMessage;
  viewer: ChatViewer;
  onReply: (m: ChatMessage) => void;
  act: Act;
  linked: boolean;
  shown: (seq: number) => boolean;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const item = useRef<HTMLLIElement>(null);
  // closing the editor (Escape, Cancel, Save) returns the focus to the message, not to the page
  const stopEditing = () => {
    setEditing(false);
    requestAnimationFrame(() => item.current?.focus({ preventScroll: true }));
  };
  // the question opens in view with the focus on Cancel (the safe answer); Escape or Cancel gives
  // the focus back to the message
  const cancelDelete = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!confirmDelete) return;
    cancelDelete.current?.scrollIntoView({ block: "nearest" });
    cancelDelete.current?.focus({ preventScroll: true });
  }, [confirmDelete]);
  const stopDeleting = () => {
    setConfirmDelete(false);
    requestAnimationFrame(() => item.current?.focus({ preventScroll: true }));
  };
  const mine = m.author.id === viewer.userId;
  const mayChange = viewer.canWrite && !m.deleted && (mine || viewer.canModerate);
  const path = `/messages/${encodeURIComponent(m.id)}`;
  const react = (emoji: string, on: boolean) => void act(on ? "PUT" : "DELETE", `${path}/reactions/${encodeURIComponent(emoji)}`);
  return (
    <li
      ref={item}
      tabIndex={-1}
      id={anchorOf(m)}
      data-seq={m.seq}
      data-linked={linked || undefined}
      aria-current={linked ? "location" : undefined}
      className={cx(
        "group relative scroll-mt-24 px-3 py-1.5 sm:px-4",
        // the message a link (search, a notification) pointed at stands out until the page is left
        linked ? "border-l-4 border-amber-400 bg-amber-50" : "hover:bg-slate-50 focus-within:bg-slate-50",
      )}
    >
      <article aria-labelledby={`${anchorOf(m)}-by`} className="flex gap-2.5">
        <Avatar name={m.author.name} size="sm" />
        <div className="min-w-0 flex-1">
          {/* on a phone the actions sit at the right of this line, not in a column beside the text */}
          <p className={cx("flex flex-wrap items-baseline gap-x-2 text-sm", viewer.canWrite && !m.deleted && "max-sm:pr-28")}>
            <span id={`${anchorOf(m)}-by`} className="font-semibold text-slate-900">
              <Name>{m.author.name}</Name>
            </span>
            <LocalTime value={m.createdAt} withTime relative className="text-xs text-slate-600" />
            {m.editedAt && !m.deleted ? <span className="text-xs text-slate-600">{t("chat.edited")}</span> : null}
            {m.pinned ? (
              <span className="inline-flex items-center gap-0.5 text-xs font-medium text-amber-800">
                <PinIcon className="size-3" />
                {t("chat.pinnedBadge")}
              </span>
            ) : null}
          </p>
          {m.replyTo ? (
            <MessageLink
              seq={m.replyTo.seq}
              shown={shown(m.replyTo.seq)}
              className={cx("mt-0.5 block max-w-full truncate rounded border-l-2 border-slate-300 pl-2 text-xs text-slate-600 hover:text-slate-900", focusRing)}
            >
              <span aria-hidden="true">↪ </span>
              {t("chat.replyTo")} <Name className="font-semibold">{m.replyTo.author.name}</Name>: {m.replyTo.deleted ? t("chat.deleted") : m.replyTo.excerpt}
            </MessageLink>
          ) : null}
          {m.deleted ? (
            <p className="text-sm italic text-slate-600">{t("chat.deleted")}</p>
          ) : editing ? (
            <EditBox
              message={m}
              onCancel={stopEditing}
              onSave={async (body) => {
                if (await act("PATCH", path, { body })) stopEditing();
              }}
            />
          ) : (
            // a line break typed with Shift+Enter is a soft break in Markdown: chat shows it as one
            <RichText html={m.html} size="sm" scope={`m-${m.seq}`} className="chat-body [overflow-wrap:anywhere] [&_li]:whitespace-pre-line [&_p]:whitespace-pre-line" />
          )}
          {m.images.length > 0 && !m.deleted ? (
            <div className="mt-1.5 flex flex-wrap gap-2">
              {m.images.map((image) => (
                <a key={image.id} href={image.url} target="_blank" rel="noreferrer" className={cx("block rounded-lg", focusRing)}>
                  <img src={image.url} alt={t("chat.imageAlt", { name: m.author.name })} loading="lazy" className="max-h-56 max-w-full rounded-lg border border-slate-200 object-contain" />
                </a>
              ))}
            </div>
          ) : null}
          {m.reactions.length > 0 && !m.deleted ? (
            <div className="mt-1 flex flex-wrap gap-1.5">
              {m.reactions.map((r) => {
                const reacted = r.userIds.includes(viewer.userId);
                return (
                  <button
                    key={r.emoji}
                    type="button"
                    disabled={!viewer.canWrite}
                    aria-pressed={reacted}
                    aria-label={t("reactions.toggle", { name: t(`reactions.names.${emojiKeys[r.emoji] ?? "other"}`), count: r.count })}
                    onClick={() => react(r.emoji, !reacted)}
                    className={cx(
                      "inline-flex h-7 items-center gap-1 rounded-full px-2 text-sm ring-1 ring-inset disabled:cursor-default",
                      focusRing,
                      reacted ? "bg-brand-50 text-brand-900 ring-brand-600/40" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50",
                    )}
                  >
                    <span aria-hidden="true">{r.emoji}</span>
                    <span aria-hidden="true" className="tabular-nums">
                      {r.count}
                    </span>
                  </button>
                );
              })}
            </div>
          ) : null}
          {confirmDelete ? (
            <div
              role="group"
              aria-label={t("chat.deleteQuestion")}
              className="mt-1.5 flex flex-wrap items-center gap-2 text-sm text-slate-800"
              onKeyDown={(e) => {
                if (e.key === "Escape") stopDeleting();
              }}
            >
              <span>{t("chat.deleteQuestion")}</span>
              <Button
                variant="danger"
                size="sm"
                onClick={async () => {
                  if (await act("DELETE", path)) setConfirmDelete(false);
                }}
              >
                {t("chat.delete")}
              </Button>
              <Button ref={cancelDelete} variant="ghost" size="sm" onClick={stopDeleting}>
                {t("common.cancel")}
              </Button>
            </div>
          ) : null}
        </div>
        {viewer.canWrite && !m.deleted && !editing ? (
          <MessageActions
            message={m}
            mayChange={mayChange}
            mayPin={viewer.canModerate}
            reactedWith={(emoji) => m.reactions.some((r) => r.emoji === emoji && r.userIds.includes(viewer.userId))}
            onReply={() => onReply(m)}
            onReact={react}
            onEdit={() => setEditing(true)}
            onDelete={() => setConfirmDelete(true)}
            onPin={() => void act("PATCH", path, { pinned: !m.pinned })}
          />
        ) : null}
      </article>
    </li>
  );
}

const menuItem = cx("flex w-full items-center gap-2 rounded-md px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-100", focusRing);

function MessageActions(props: {
  message: ChatMessage;
  mayChange: boolean;
  mayPin: boolean;
  reactedWith: (emoji: string) => boolean;
  onReply: () => void;
  onReact: (emoji: string, on: boolean) => void;
  onEdit: () => void;
  onDelete: () => void;
  onPin: () => void;
}) {
  const { t } = useTranslation();
  const emojiMenu = useDismissable();
  const moreMenu = useDismissable();
  const by = props.message.author.name;
  const close = () => {
    emojiMenu.current?.removeAttribute("open");
    moreMenu.current?.removeAttribute("open");
  };
  // the menus open inside the scrolling log, which clips them: below the message in the log's top
  // half, above it in the bottom half
  const [up, setUp] = useState(false);
  const place = (e: React.SyntheticEvent<HTMLDetailsElement>) => {
    const menu = e.currentTarget;
    const log = menu.closest('[role="log"]');
    if (!menu.open || !log) return;
    const at = menu.getBoundingClientRect();
    const area = log.getBoundingClientRect();
    setUp(at.top - area.top > area.height / 2);
  };
  const panel = up ? "bottom-full mb-1" : "top-full mt-1";
  const iconButton = cx("flex size-8 cursor-pointer list-none items-center justify-center rounded-md text-slate-600 hover:bg-white hover:text-slate-900 [&::-webkit-details-marker]:hidden", focusRing);
  return (
    // always there on a phone (no hover), over the right of the name line so the text keeps the
    // row's width; on a wider screen a column beside it, shown on hover and keyboard focus
    <div className="flex shrink-0 items-start gap-0.5 self-start max-sm:absolute max-sm:right-2 max-sm:top-0.5 sm:opacity-0 sm:group-focus-within:opacity-100 sm:group-hover:opacity-100 sm:has-[details[open]]:opacity-100">
      <button type="button" className={iconButton} aria-label={t("chat.replyLabel", { name: by })} title={t("chat.reply")} onClick={props.onReply}>
        <span aria-hidden="true" className="text-base leading-none">
          ↩
        </span>
      </button>
      <details ref={emojiMenu} className="relative" onToggle={place}>
        <summary className={iconButton} aria-label={t("chat.reactLabel", { name: by })} title={t("reactions.add")}>
          <SmileIcon />
        </summary>
        <div className={cx("absolute right-0 z-20 grid w-max grid-cols-4 gap-1 rounded-xl border border-slate-200 bg-white p-1.5 shadow-lg", panel)}>
          {reactionEmojis.map((emoji) => {
            const mine = props.reactedWith(emoji);
            const name = t(`reactions.names.${emojiKeys[emoji] ?? "other"}`);
            return (
              <button
                key={emoji}
                type="button"
                title={name}
                aria-label={name}
                aria-pressed={mine}
                onClick={() => {
                  close();
                  props.onReact(emoji, !mine);
                }}
                className={cx("flex size-10 items-center justify-center rounded-lg text-xl hover:bg-slate-100", focusRing, mine && "bg-brand-50")}
              >
                <span aria-hidden="true">{emoji}</span>
              </button>
            );
          })}
        </div>
      </details>
      {props.mayChange || props.mayPin ? (
        <details ref={moreMenu} className="relative" onToggle={place}>
          <summary className={iconButton} aria-label={t("chat.moreLabel", { name: by })} title={t("chat.more")}>
            <span aria-hidden="true" className="text-lg leading-none">
              ⋯
            </span>
          </summary>
          <div className={cx("absolute right-0 z-20 w-44 rounded-xl border border-slate-200 bg-white p-1 shadow-lg", panel)}>
            {props.mayChange ? (
              <>
                <button type="button" className={menuItem} onClick={() => (close(), props.onEdit())}>
                  {t("chat.edit")}
                </button>
                <button type="button" className={cx(menuItem, "text-red-800")} onClick={() => (close(), props.onDelete())}>
                  {t("chat.delete")}
                </button>
              </>
            ) : null}
            {props.mayPin ? (
              <button type="button" className={menuItem} onClick={() => (close(), props.onPin())}>
                {props.message.pinned ? t("chat.unpin") : t("chat.pin")}
              </button>
            ) : null}
          </div>
        </details>
      ) : null}
    </div>
  );
}

/**
 * Enter sends (or saves), Shift+Enter breaks the line — but never while an input method is
 * composing: the Enter that commits a Chinese or Japanese word arrives with `isComposing` (and, in
 * Safari after compositionend, keyCode 229).
 */
function isSendKey(e: KeyboardEvent<HTMLTextAreaElement>, composing: boolean): boolean {
  return e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !composing && !e.nativeEvent.isComposing && e.keyCode !== 229;
}

/** Tracks composition from the events themselves too, for browsers whose keydown lacks `isComposing`. */
function useComposing() {
  const composing = useRef(false);
  return {
    composing,
    handlers: {
      onCompositionStart: () => {
        composing.current = true;
      },
      onCompositionEnd: () => {
        composing.current = false;
      },
    },
  };
}

function EditBox({ message, onSave, onCancel }: { message: ChatMessage; onSave: (body: string) => Promise<void>; onCancel: () => void }) {
  const { t } = useTranslation();
  const [text] = useState(() => mentionsForEditing(message.body, mentionsInHtml(message.html)).text);
  const area = useRef<HTMLTextAreaElement>(null);
  const ime = useComposing();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const save = async () => {
    const body = area.current?.value ?? "";
    if (!body.trim() || saving) return;
    setSaving(true);
    await onSave(body);
    setSaving(false);
  };
  return (
    <div className="mt-1 space-y-1.5">
      <label className="sr-only" htmlFor={`edit-${message.seq}`}>
        {t("chat.editLabel")}
      </label>
      <textarea
        ref={area}
        id={`edit-${message.seq}`}
        defaultValue={text}
        rows={Math.min(6, text.split("\n").length + 1)}
        {...ime.handlers}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          } else if (isSendKey(e, ime.composing.current)) {
            e.preventDefault();
            void save();
          }
        }}
        className="block w-full resize-y rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30"
      />
      <div className="flex flex-wrap items-center gap-2">
        <Button size="sm" onClick={() => void save()} disabled={saving}>
          {t("common.save")}
        </Button>
        <Button size="sm" variant="ghost" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
        <span className="text-xs text-slate-600">{t("chat.editHint")}</span>
      </div>
    </div>
  );
}

function PendingItem({
  pending: p,
  viewer,
  now,
  connected,
  onRetry,
  onDiscard,
}: {
  pending: PendingMessage;
  viewer: ChatViewer;
  now: number;
  connected: boolean;
  onRetry: (id: string) => void;
  onDiscard: (id: string) => void;
}) {
  const { t } = useTranslation();
  const wait = p.status === "waiting" && p.retryAt !== null ? Math.max(1, Math.ceil((p.retryAt - now) / 1000)) : null;
  let status: ReactNode;
  if (p.status === "failed") {
    status = (
      <span className="flex flex-wrap items-center gap-2 text-red-800" role="alert">
        {t("chat.failed", { reason: t(`apiError.${p.error?.code ?? "error"}`, { defaultValue: p.error?.message ?? "" }) })}
        <Button size="sm" variant="secondary" onClick={() => onRetry(p.clientId)}>
          {t("chat.retry")}
        </Button>
        <Button size="sm" variant="ghost" onClick={() => onDiscard(p.clientId)}>
          {t("chat.discard")}
        </Button>
      </span>
    );
  } else if (wait !== null) {
    status = (
      <span className="flex flex-wrap items-center gap-2 text-amber-900">
        {t("chat.waiting", { count: wait })}
        <Button size="sm" variant="ghost" onClick={() => onDiscard(p.clientId)}>
          {t("chat.discard")}
        </Button>
      </span>
    );
  } else status = <span>{connected ? t("chat.sending") : t("chat.queued")}</span>;
  return (
    <li data-pending={p.clientId} data-status={p.status} aria-busy={p.status !== "failed"} className="px-3 py-1.5 sm:px-4">
      <div className="flex gap-2.5">
        <Avatar name={viewer.name} size="sm" />
        <div className="min-w-0 flex-1">
          <p className="text-sm font-semibold text-slate-900">
            <Name>{viewer.name}</Name>
          </p>
          {p.replyTo ? (
            <p className="truncate border-l-2 border-slate-300 pl-2 text-xs text-slate-600">
              {t("chat.replyTo")} <Name>{p.replyTo.author.name}</Name>
            </p>
          ) : null}
          <p className={cx("whitespace-pre-wrap text-sm [overflow-wrap:anywhere]", p.status === "failed" ? "text-slate-900" : "text-slate-500")}>{p.body}</p>
          {p.imageUrls.length ? (
            <div className="mt-1 flex flex-wrap gap-2 opacity-60">
              {p.imageUrls.map((url) => (
                <img key={url} src={url} alt="" className="max-h-24 rounded-lg border border-slate-200" />
              ))}
            </div>
          ) : null}
          <p className="mt-0.5 text-xs text-slate-600">{status}</p>
        </div>
      </div>
    </li>
  );
}

type Attached = { id: string; url: string };

function Composer({
  spaceId,
  spaceName,
  areaRef,
  replyTo,
  onCancelReply,
  slowModeSeconds,
  exempt,
  onSend,
  onTyping,
}: {
  spaceId: string;
  spaceName: string;
  areaRef: React.RefObject<HTMLTextAreaElement | null>;
  replyTo: ChatMessage | null;
  onCancelReply: () => void;
  slowModeSeconds: number;
  exempt: boolean;
  /** the member typed: the channel hears it (throttled in chat-socket.ts) */
  onTyping: () => void;
  onSend: (message: Omit<PendingMessage, "clientId" | "status" | "error" | "retryAt" | "replyTo">) => void;
}) {
  const { t } = useTranslation();
  const hydrated = useHydrated();
  const { mentionSpaceId, uploadField } = chatChannel(spaceId);
  const mention = useMentionSuggestions(areaRef, mentionSpaceId ? { spaceId: mentionSpaceId } : undefined);
  const ime = useComposing();
  const file = useRef<HTMLInputElement>(null);
  const [length, setLength] = useState(0);
  const [images, setImages] = useState<Attached[]>([]);
  const [upload, setUpload] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const over = length > MAX_MESSAGE_CHARS;

  const grow = () => {
    const el = areaRef.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
    setLength(codePoints(el.value));
  };

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const el = areaRef.current;
    if (!el) return;
    const body = el.value.trim();
    if ((!body && images.length === 0) || over || upload.busy) return;
    onSend({ body, imageIds: images.map((i) => i.id), imageUrls: images.map((i) => i.url), mentionIds: mentionIdsFor(body, mention.picks) });
    el.value = "";
    setImages([]);
    grow();
    el.focus();
  };

  const attach = async (chosen: File | undefined) => {
    if (!chosen) return;
    setUpload({ busy: true, error: null });
    const form = new FormData();
    form.append("file", chosen);
    form.append(uploadField, spaceId);
    try {
      const res = await fetch("/api/v1/uploads", { method: "POST", body: form, credentials: "same-origin" });
      const json = (await res.json()) as { id?: string; url?: string; error?: { code: string; message: string } };
      if (!res.ok || !json.id || !json.url) throw new Error(json.error ? t(`apiError.${json.error.code}`, { defaultValue: json.error.message }) : t("apiError.error"));
      setImages((current) => [...current, { id: json.id!, url: json.url! }].slice(0, MAX_MESSAGE_IMAGES));
      setUpload({ busy: false, error: null });
    } catch (err) {
      setUpload({ busy: false, error: err instanceof Error && err.message !== "Failed to fetch" ? err.message : t("chat.uploadOffline") });
    } finally {
      if (file.current) file.current.value = "";
      areaRef.current?.focus();
    }
  };

  const counterId = "chat-composer-counter";
  const hintId = "chat-composer-hint";
  return (
    <form method="post" onSubmit={submit} className="border-t border-slate-200 bg-slate-50/60 p-2 sm:p-3">
      <input type="hidden" name="intent" value="chatSend" />
      {replyTo ? (
        <div className="mb-2 flex items-start gap-2 rounded-lg border-l-4 border-brand-600 bg-white px-3 py-2 text-sm shadow-sm">
          <p className="min-w-0 flex-1 truncate text-slate-700">
            {t("chat.replyingTo")} <Name className="font-semibold">{replyTo.author.name}</Name>
            <span className="text-slate-600">: {replyTo.deleted ? t("chat.deleted") : excerptOf(replyTo)}</span>
          </p>
          <button type="button" onClick={onCancelReply} className={cx("shrink-0 rounded px-1.5 text-sm font-medium text-slate-700 hover:text-slate-900", focusRing)}>
            {t("chat.cancelReply")}
          </button>
        </div>
      ) : null}
      {images.length ? (
        <ul className="mb-2 flex flex-wrap gap-2" aria-label={t("chat.attached")}>
          {images.map((image, i) => (
            <li key={image.id} className="relative">
              <img src={image.url} alt={t("chat.attachedImage", { n: i + 1 })} className="h-16 w-16 rounded-lg border border-slate-200 object-cover" />
              <button
                type="button"
                onClick={() => setImages((current) => current.filter((c) => c.id !== image.id))}
                aria-label={t("chat.removeImage", { n: i + 1 })}
                className={cx("absolute -right-1.5 -top-1.5 flex size-6 items-center justify-center rounded-full bg-slate-800 text-xs text-white", focusRing)}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="flex items-end gap-2">
        <input ref={file} type="file" accept="image/png,image/jpeg,image/webp,image/gif" className="sr-only" tabIndex={-1} aria-hidden="true" onChange={(e) => void attach(e.currentTarget.files?.[0])} />
        <button
          type="button"
          onClick={() => file.current?.click()}
          disabled={!hydrated || upload.busy || images.length >= MAX_MESSAGE_IMAGES}
          aria-label={upload.busy ? t("editor.uploading") : t("chat.attach")}
          title={t("chat.attach")}
          className={cx("flex size-10 shrink-0 items-center justify-center rounded-lg text-slate-600 hover:bg-white hover:text-slate-900 disabled:cursor-not-allowed disabled:opacity-50", focusRing)}
        >
          <ImageIcon className="size-5" />
        </button>
        <div className="min-w-0 flex-1 overflow-hidden rounded-lg border border-slate-300 bg-white focus-within:border-brand-600 focus-within:ring-2 focus-within:ring-brand-600/30">
          <label htmlFor="chat-composer" className="sr-only">
            {t("chat.composerLabel", { name: spaceName })}
          </label>
          <textarea
            ref={areaRef}
            id="chat-composer"
            name="body"
            rows={1}
            placeholder={t("chat.placeholder", { name: spaceName })}
            aria-describedby={`${hintId} ${counterId}`}
            aria-invalid={over || undefined}
            {...mention.textareaProps}
            {...ime.handlers}
            onInput={() => {
              mention.textareaProps.onInput?.();
              grow();
              onTyping();
            }}
            onKeyDown={(e) => {
              mention.textareaProps.onKeyDown?.(e);
              if (e.defaultPrevented) return;
              if (isSendKey(e, ime.composing.current)) {
                e.preventDefault();
                submit();
              } else if (e.key === "Escape" && replyTo) {
                e.preventDefault();
                onCancelReply();
              }
            }}
            className="block max-h-60 min-h-10 w-full resize-none border-0 px-3 py-2 text-sm leading-6 text-slate-900 placeholder:text-slate-500 focus:outline-none focus:ring-0"
          />
          {mention.list}
        </div>
        <Button type="submit" disabled={over || upload.busy} className="h-10">
          {t("chat.send")}
        </Button>
      </div>
      <div className="mt-1 flex flex-wrap items-center justify-between gap-x-3 gap-y-1 px-1 text-xs text-slate-600">
        <p id={hintId}>
          {t("chat.keysHint")}
          {slowModeSeconds > 0 ? ` · ${t(exempt ? "chat.slowModeExempt" : "chat.slowModeOn", { count: slowModeSeconds })}` : ""}
        </p>
        <p id={counterId} aria-live="polite" className={cx("tabular-nums", over ? "font-semibold text-red-800" : length < COUNTER_FROM && "sr-only")}>
          {length >= COUNTER_FROM ? t(over ? "chat.counterOver" : "chat.counterLeft", { count: Math.abs(MAX_MESSAGE_CHARS - length) }) : ""}
        </p>
      </div>
      {upload.error ? (
        <p role="alert" className="mt-1 px-1 text-sm font-medium text-red-800">
          {upload.error}
        </p>
      ) : null}
    </form>
  );
}

/** The first words of a message as plain text (for the reply banner before sending). */
function excerptOf(m: ChatMessage): string {
  const text = m.html.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return decodeEntities(text).slice(0, 120);
}

/** The member's notification level and, for moderators, slow mode: page actions that call the use cases. */
function ChannelSettings({ viewer, slowModeSeconds }: { viewer: ChatViewer; slowModeSeconds: number }) {
  const { t } = useTranslation();
  const notify = useFetcher<{ ok: boolean }>();
  const slow = useFetcher<{ ok: boolean }>();
  const level = (notify.formData?.get("level") as string | undefined) ?? viewer.notifyLevel ?? "mentions";
  const seconds = Number(slow.formData?.get("slowModeSeconds") ?? slowModeSeconds);
  const choices = SLOW_MODE_CHOICES.includes(seconds) ? SLOW_MODE_CHOICES : [...SLOW_MODE_CHOICES, seconds].sort((a, b) => a - b);
  return (
    <details className="rounded-2xl border border-slate-200 bg-white shadow-sm">
      <summary className={cx("cursor-pointer rounded-2xl px-4 py-3 text-sm font-semibold text-slate-800 hover:bg-slate-50", focusRing)}>{t("chat.settings")}</summary>
      <div className="space-y-5 border-t border-slate-200 px-4 py-4">
        <notify.Form method="post" className="space-y-2" onChange={(e) => notify.submit(e.currentTarget)}>
          <input type="hidden" name="intent" value="chatNotify" />
          <fieldset>
            <legend className="text-sm font-medium text-slate-800">{t("chat.notifyLegend")}</legend>
            <div className="mt-2 space-y-1.5">
              {chatNotifyLevels.map((value) => (
                <label key={value} className="flex items-start gap-2 text-sm text-slate-800">
                  <input type="radio" name="level" value={value} defaultChecked={level === value} className="mt-0.5 size-4 border-slate-400 text-brand-600 focus:ring-brand-600" />
                  <span>
                    {t(`chat.notify.${value}`)}
                    <span className="block text-xs text-slate-600">{t(`chat.notifyHint.${value}`)}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          <noscript>
            <Button type="submit" size="sm" variant="secondary">
              {t("common.save")}
            </Button>
          </noscript>
          <p aria-live="polite" className="text-xs text-slate-600">
            {notify.state === "idle" && notify.data?.ok ? t("common.saved") : ""}
          </p>
        </notify.Form>
        {viewer.canModerate ? (
          <slow.Form method="post" className="flex flex-wrap items-end gap-2">
            <input type="hidden" name="intent" value="chatSlowMode" />
            <label className="block text-sm font-medium text-slate-800">
              {t("chat.slowModeLabel")}
              <select
                name="slowModeSeconds"
                defaultValue={String(seconds)}
                key={seconds}
                className="mt-1 block h-10 rounded-lg border border-slate-300 bg-white px-3 text-sm text-slate-900 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30"
              >
                {choices.map((s) => (
                  <option key={s} value={s}>
                    {s === 0 ? t("chat.slowModeOff") : t("chat.slowModeEvery", { count: s })}
                  </option>
                ))}
              </select>
            </label>
            <Button type="submit" size="sm" variant="secondary" className="h-10" disabled={slow.state !== "idle"}>
              {t("common.save")}
            </Button>
            <p aria-live="polite" className="w-full text-xs text-slate-600">
              {slow.state === "idle" && slow.data?.ok ? t("common.saved") : ""}
            </p>
          </slow.Form>
        ) : null}
      </div>
    </details>
  );
}
