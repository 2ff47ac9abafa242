// Building blocks of the discussion pages: rendered Markdown, the reactions bar, the Markdown
// editor (write / preview / image upload), post cards and the upgrade prompt for locked spaces.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Name } from "./name";
import { usePopover } from "./use-popover";
import { useTranslation } from "react-i18next";
import { Link, useFetcher, useLocation, useParams } from "react-router";
import { reactionEmojis, type FeedPost, type MentionSuggestion, type Person, type Reaction, type ReactionEmoji, type TierKey } from "../lib/types";
import type { Interval } from "../lib/billing";
import { CheckoutForm } from "./billing";
import { LocalTime, useFormatDate } from "./local-time";
import { Alert, Avatar, Badge, ButtonLink, TextLink, cx, focusRing } from "./ui";
import { issueText, type FieldIssue } from "../lib/issues";
import { scopeFragmentIds } from "../../workers/lib/markdown-ids";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";
import { addPick, picksInText, PICKS_FIELD, type MentionPick } from "../lib/mentions";

type IconProps = { className?: string };
const iconBase = { viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 1.8, strokeLinecap: "round", strokeLinejoin: "round", "aria-hidden": true } as const;

export function LockIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <rect x="4.5" y="10.5" width="15" height="10" rx="2" />
      <path d="M8 10.5V7.5a4 4 0 0 1 8 0v3" />
    </svg>
  );
}
export function BellIcon({ className = "size-5" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
export function PinIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <path d="M12 17v5M9 10.76V6h6v4.76a2 2 0 0 0 1.11 1.79l1.78.9A2 2 0 0 1 19 15.24V17H5v-1.76a2 2 0 0 1 1.11-1.79l1.78-.9A2 2 0 0 0 9 10.76ZM8 6h8M9 2h6" />
    </svg>
  );
}
export function ChatIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" />
    </svg>
  );
}
export function HashIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <path d="M4 9h16M4 15h16M10 3 8 21M16 3l-2 18" />
    </svg>
  );
}
export function SearchIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <circle cx="11" cy="11" r="7" />
      <path d="m20 20-3.5-3.5" />
    </svg>
  );
}
export function ImageIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <rect x="3" y="3" width="18" height="18" rx="2" />
      <circle cx="9" cy="9" r="2" />
      <path d="m21 15-3.09-3.09a2 2 0 0 0-2.82 0L6 21" />
    </svg>
  );
}
export function SmileIcon({ className = "size-4" }: IconProps) {
  return (
    <svg {...iconBase} className={className}>
      <circle cx="12" cy="12" r="9" />
      <path d="M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01" />
    </svg>
  );
}

/**
 * HTML the API rendered and sanitised (posts, comments, previews). Where several items share a
 * page, each but one passes `scope` (its id): its footnote ids and in-page links become
 * `user-content-<scope>-…`, so its [1] reaches its own note, not the post's (ADR 012).
 */
export function RichText({ html, size = "md", className, scope }: { html: string; size?: "sm" | "md"; className?: string; scope?: string }) {
  const { t } = useTranslation();
  // a mention of an erased account (rendered "@Deleted member" by the server) in the page's language
  const shown = html.includes(ERASED_MENTION) ? html.replaceAll(ERASED_MENTION, `">@${escapeText(t("common.deletedMember"))}</span>`) : html;
  return (
    <div
      className={cx("rich-text", size === "sm" && "rich-text-sm", className)}
      dangerouslySetInnerHTML={{ __html: scope ? scopeFragmentIds(shown, scope) : shown }}
    />
  );
}

/** How the server's Markdown renders a mention of an erased account (workers/lib/markdown.ts, mention rule): the end of its span. */
const ERASED_MENTION = `">@${DELETED_MEMBER_NAME}</span>`;
const escapeText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A <details> used as a menu opens and closes without JavaScript; once hydrated it also closes on
 * Escape (focus back on its summary), on a click outside and after navigating.
 */
export function useDismissable() {
  const ref = useRef<HTMLDetailsElement>(null);
  const location = useLocation();
  useEffect(() => {
    if (ref.current) ref.current.open = false;
  }, [location.key]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && ref.current?.open) {
        ref.current.open = false;
        ref.current.querySelector("summary")?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (ref.current?.open && !ref.current.contains(e.target as Node)) ref.current.open = false;
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("click", onClick);
    };
  }, []);
  return ref;
}

export function useHydrated() {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** A post's or comment's time: relative for the last week, in the reader's zone (see LocalTime). */
export function TimeStamp({ value, withTime = true }: { value: string; withTime?: boolean }) {
  return <LocalTime value={value} withTime={withTime} relative />;
}

// every emoji the API accepts has a name (a compile error when the vocabulary grows)
export const emojiKeys: Record<string, string> = {
  "👍": "thumbsUp",
  "❤️": "heart",
  "😂": "laugh",
  "🎉": "party",
  "😮": "wow",
  "😢": "sad",
  "🙏": "thanks",
  "🔥": "fire",
} satisfies Record<ReactionEmoji, string>;

/** The query parameter that renders one bar's emoji picker open on the server: `?react=<post or comment id>`. */
export const REACT_PARAM = "react";

/**
 * Counts with a toggle per emoji plus a picker. Each button is a form post to the page's action
 * (works without JavaScript); once hydrated a fetcher keeps the scroll position and shows the
 * change before the server answers. The buttons submit one of two forms (to react, to take a
 * reaction back) through their `form` attribute, the emoji being the button's own value: two
 * forms per bar, not one per button — a post page renders twenty-one bars.
 * The picker's eight buttons exist only while it is open (eight per bar were a large part of the
 * post page's server render, bench/RESULTS.md): without JavaScript "Add reaction" is a link the
 * server answers with this bar's picker open (`?react=<id>`); once hydrated it opens in place, as
 * a button (Enter or Space), and closes on Escape (focus back on it), a click outside, a reaction
 * or a new page.
 */
export function ReactionBar({ target, id, reactions, disabled = false }: { target: "post" | "comment"; id: string; reactions: Reaction[]; disabled?: boolean }) {
  const { t } = useTranslation();
  const fetcher = useFetcher();
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const serverOpen = params.get(REACT_PARAM) === id;
  params.delete(REACT_PARAM);
  // the forms post to this page without ?react=, so the answer to a reaction shows the picker closed
  const action = `${location.pathname}${params.size ? `?${params}` : ""}`;
  const [picker, setPicker] = useState({ open: serverOpen, visit: location.key });
  let open = picker.open;
  if (picker.visit !== location.key) {
    open = serverOpen;
    setPicker({ open, visit: location.key });
  }
  const { box: area, toggle } = usePopover(open, () => setPicker((p) => ({ ...p, open: false })));
  const pendingEmoji = fetcher.formData?.get("emoji");
  const pendingRemove = fetcher.formData?.get("reacted") === "1";
  let shown = reactions.map((r) => ({ ...r }));
  if (typeof pendingEmoji === "string") {
    const existing = shown.find((r) => r.emoji === pendingEmoji);
    if (existing) {
      if (pendingRemove && existing.reacted) existing.count -= 1;
      if (!pendingRemove && !existing.reacted) existing.count += 1;
      existing.reacted = !pendingRemove;
    } else if (!pendingRemove) shown.push({ emoji: pendingEmoji, count: 1, reacted: true });
  }
  shown = shown.filter((r) => r.count > 0);
  const name = (emoji: string) => t(`reactions.names.${emojiKeys[emoji] ?? "other"}`, { defaultValue: emoji });
  const formId = useId();
  const formFor = (reacted: boolean) => `${formId}-${reacted ? "undo" : "add"}`;
  const barId = `reactions-${id}`;
  const pickerId = `${barId}-picker`;
  if (open) params.delete(REACT_PARAM);
  else params.set(REACT_PARAM, id);
  const flip = () => setPicker((p) => ({ ...p, open: !open }));
  return (
    <div id={barId} className="flex scroll-mt-24 flex-wrap items-center gap-1.5" data-reactions={id}>
      {[false, true].map((reacted) => (
        <fetcher.Form method="post" action={action} key={String(reacted)} id={formFor(reacted)} className="hidden" preventScrollReset onSubmit={() => setPicker((p) => ({ ...p, open: false }))}>
          <input type="hidden" name="intent" value="react" />
          <input type="hidden" name="target" value={target} />
          <input type="hidden" name="id" value={id} />
          <input type="hidden" name="reacted" value={reacted ? "1" : "0"} />
        </fetcher.Form>
      ))}
      {shown.map((r) => (
        <button
            key={r.emoji}
            type="submit"
            form={formFor(r.reacted)}
            name="emoji"
            value={r.emoji}
            disabled={disabled}
            aria-pressed={r.reacted}
            aria-label={t("reactions.toggle", { name: name(r.emoji), count: r.count })}
            className={cx(
              "inline-flex h-8 items-center gap-1.5 rounded-full px-2.5 text-sm font-medium ring-1 ring-inset transition-colors disabled:cursor-not-allowed disabled:opacity-60",
              focusRing,
              r.reacted ? "bg-brand-50 text-brand-900 ring-brand-600/40 hover:bg-brand-100" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50",
            )}
          >
            <span aria-hidden="true">{r.emoji}</span>
            <span className="tabular-nums" aria-hidden="true">
              {r.count}
            </span>
          </button>
      ))}
      {disabled ? null : (
        <div ref={area} className="relative">
          <Link
            ref={toggle}
            to={`${location.pathname}${params.size ? `?${params}` : ""}#${barId}`}
            preventScrollReset
            role="button"
            onClick={(e) => {
              if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // a new tab still gets the link
              e.preventDefault();
              flip();
            }}
            onKeyDown={(e) => {
              // a link answers Enter; as a button it answers Space too
              if (e.key !== " ") return;
              e.preventDefault();
              flip();
            }}
            aria-expanded={open}
            aria-controls={open ? pickerId : undefined}
            aria-label={t("reactions.add")}
            className={cx(
              "flex h-8 cursor-pointer items-center gap-1 rounded-full px-2.5 text-sm text-slate-600 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 hover:text-slate-900",
              focusRing,
            )}
          >
            <SmileIcon />
            <span aria-hidden="true" className="text-base leading-none">
              +
            </span>
          </Link>
          {open ? (
            <div id={pickerId} className="absolute left-0 z-20 mt-2 grid w-max grid-cols-4 gap-1 rounded-xl border border-slate-200 bg-white p-1.5 shadow-lg">
              {reactionEmojis.map((emoji) => {
                const mine = reactions.find((r) => r.emoji === emoji)?.reacted ?? false;
                return (
                  <button
                    key={emoji}
                    type="submit"
                    form={formFor(mine)}
                    name="emoji"
                    value={emoji}
                    title={name(emoji)}
                    aria-label={name(emoji)}
                    aria-pressed={mine}
                    className={cx("flex size-10 items-center justify-center rounded-lg text-xl hover:bg-slate-100", focusRing, mine && "bg-brand-50")}
                  >
                    <span aria-hidden="true">{emoji}</span>
                  </button>
                );
              })}
            </div>
          ) : null}
        </div>
      )}
    </div>
  );
}

// letters and digits (an e-mail address); "_" and "*" before "@" are Markdown emphasis
const WORD_BEFORE_AT = /[\p{L}\p{N}]/u;
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** How long typing must pause before the server is asked: a fast typist sends one query, not one per key. */
const SUGGEST_DEBOUNCE_MS = 150;

/** Where the editor writes, for mentions: the space (suggestions are its readers) and the picks it starts with. */
export type MentionTarget = { spaceId: string; picks?: MentionPick[] };

/**
 * "@" followed by the start of a member's name (or of a later word of it) asks the server which
 * members of the community who can read the space match (arrows to choose, Enter or Tab to
 * insert, Escape to dismiss). A pick inserts "@Name " and is remembered with the member's id in a
 * hidden field (PICKS_FIELD), so the server writes that member's token even when another member
 * has the same name. The textarea stays an ordinary field. `picks` is answered too, for a writer
 * that sends without a form (the chat composer, over its socket).
 */
export function useMentionSuggestions(area: React.RefObject<HTMLTextAreaElement | null>, target: MentionTarget | undefined) {
  const { t } = useTranslation();
  const formatDate = useFormatDate();
  const { slug } = useParams();
  const people = useFetcher<{ q: string; people: MentionSuggestion[] }>();
  const listId = useId();
  const [query, setQuery] = useState<{ text: string; at: number } | null>(null);
  const [active, setActive] = useState(0);
  const [picks, setPicks] = useState<MentionPick[]>(target?.picks ?? []);
  const source = target && slug ? `/c/${encodeURIComponent(slug)}/mention-suggestions` : undefined;
  const load = people.load;

  useEffect(() => {
    if (!source || !target || query === null) return;
    const timer = setTimeout(() => load(`${source}?${new URLSearchParams({ q: query.text, spaceId: target.spaceId })}`), SUGGEST_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [source, target?.spaceId, query?.text, load]);

  // the last answer stays up while the next is on its way, so the list does not blink at each key,
  // but only an answer to what is typed now takes Enter and Tab: a stale one would replace the text
  const matches = query && people.data ? people.data.people : [];
  const fresh = query !== null && people.data?.q === query.text;
  const open = Boolean(source) && query !== null && matches.length > 0;

  const update = () => {
    const el = area.current;
    if (!source || !el) return;
    setPicks((current) => picksInText(el.value, current));
    const caret = el.selectionStart ?? 0;
    const before = el.value.slice(0, caret);
    // "@" or the full-width "＠" a Chinese or Japanese keyboard types
    const at = Math.max(before.lastIndexOf("@"), before.lastIndexOf("\uFF20"));
    const prev = at > 0 ? before[at - 1] : undefined;
    const text = at === -1 ? "" : before.slice(at + 1);
    // past a picked name and a word more, this is prose; "@Mei L" right after picking "Mei" may
    // still become "Mei Lin"
    const typedOn = (p: MentionPick) => text.startsWith(`${p.name} `) && text.slice(p.name.length + 1).includes(" ");
    if (at === -1 || (prev && WORD_BEFORE_AT.test(prev) && !CJK_CHAR.test(prev)) || text.length > 40 || text.includes("\n") || picks.some(typedOn)) {
      setQuery(null);
      return;
    }
    setQuery({ text, at });
    setActive(0);
  };

  const pick = (person: Person) => {
    const el = area.current;
    if (!el || !query) return;
    const caret = el.selectionStart ?? el.value.length;
    const insert = `@${person.name} `;
    el.value = el.value.slice(0, query.at) + insert + el.value.slice(caret);
    const pos = query.at + insert.length;
    el.focus();
    el.setSelectionRange(pos, pos);
    setPicks((current) => addPick(current, { id: person.id, name: person.name }));
    setQuery(null);
  };

  const textareaProps = source
    ? {
        role: "combobox" as const,
        "aria-autocomplete": "list" as const,
        "aria-expanded": open,
        "aria-controls": open ? listId : undefined,
        "aria-activedescendant": open ? `${listId}-${active}` : undefined,
        onInput: update,
        onClick: update,
        onBlur: () => setTimeout(() => setQuery(null), 150),
        onKeyDown: (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
          // the Enter that commits an input method's characters (Chinese, Japanese) is not a pick
          if (!open || !fresh || e.nativeEvent.isComposing || e.keyCode === 229) return;
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            setActive((i) => (i + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
          } else if (e.key === "Enter" || e.key === "Tab") {
            e.preventDefault();
            pick(matches[active] ?? matches[0]);
          } else if (e.key === "Escape") {
            e.preventDefault();
            setQuery(null);
          }
        },
      }
    : {};

  const list = open ? (
    <ul id={listId} role="listbox" aria-label={t("editor.mentionList")} className="border-t border-slate-200 bg-white p-1">
      {matches.map((person, i) => (
        <li
          key={person.id}
          id={`${listId}-${i}`}
          role="option"
          aria-selected={i === active}
          data-user-id={person.id}
          // mousedown, not click: the textarea must keep focus and its caret
          onMouseDown={(e) => {
            e.preventDefault();
            pick(person);
          }}
          className={cx("flex cursor-pointer items-center gap-2 rounded-md px-2 py-1.5 text-sm", i === active ? "bg-brand-50 text-brand-900" : "text-slate-800 hover:bg-slate-50")}
        >
          <Avatar name={person.name} src={person.avatarUrl} size="sm" />
          <span className="truncate">
            <Name>{person.name}</Name>
          </span>
          {/* the owner and a newcomer who took the same name must not look alike; two members of one
              name and role are told apart by when they joined */}
          {person.role !== "member" ? <span className="shrink-0 text-xs text-slate-600">{t(`roles.${person.role}`)}</span> : null}
          {matches.some((other) => other.id !== person.id && other.name === person.name) ? (
            <span className="shrink-0 text-xs text-slate-600">{t("editor.mentionJoined", { date: formatDate(person.joinedAt) })}</span>
          ) : null}
        </li>
      ))}
    </ul>
  ) : null;

  const field = source ? <input type="hidden" name={PICKS_FIELD} value={JSON.stringify(picks)} /> : null;

  return { textareaProps, list, field, picks };
}

/**
 * After a write: "Sofia Rossi can't see this space and wasn't notified." for the mentioned members
 * who cannot read it (the API's `unreachableMentions`), each name isolated, the list joined the
 * reader's way (Intl.ListFormat: "A, B and C", "A、B和C"). Nothing when `names` is empty.
 */
export function UnreachableNotice({ names }: { names: string[] }) {
  const { t, i18n } = useTranslation();
  if (names.length === 0) return null;
  const list = new Intl.ListFormat(i18n.language, { type: "conjunction" })
    .formatToParts(names)
    .map((part, i) => (part.type === "element" ? <Name key={i}>{part.value}</Name> : part.value));
  // the names go where the translation puts {{names}}: a marker no translation contains stands in
  const [before, after = ""] = t("editor.unreachableMentions", { count: names.length, names: "\u0000" }).split("\u0000");
  return (
    <Alert tone="warning">
      {before}
      {list}
      {after}
    </Alert>
  );
}

type UploadAnswer = { url?: string; error?: { code: string; message: string } };

/**
 * A Markdown textarea with Write / Preview tabs and an image button. The textarea is a plain form
 * field, so posting works without JavaScript; preview and upload appear once hydrated.
 */
export function MarkdownEditor({
  name = "body",
  label,
  defaultValue = "",
  error,
  rows = 8,
  placeholder,
  required,
  maxLength,
  autoFocus,
  labelHidden = false,
  mentions,
  spaceId,
}: {
  name?: string;
  label: string;
  defaultValue?: string;
  error?: string | FieldIssue | null;
  rows?: number;
  placeholder?: string;
  required?: boolean;
  maxLength?: number;
  autoFocus?: boolean;
  labelHidden?: boolean;
  /** suggest the members who can read this space after "@" (inside /c/:slug pages), starting with these picks */
  mentions?: MentionTarget;
  /** the space this text is written in: images uploaded here are served only to its readers (API.md "uploads") */
  spaceId?: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const hydrated = useHydrated();
  const area = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const preview = useFetcher<{ html: string }>();
  const [mode, setMode] = useState<"write" | "preview">("write");
  const mention = useMentionSuggestions(area, mentions);
  const [upload, setUpload] = useState<{ state: "idle" | "uploading" | "error" | "done"; message: string | null }>({ state: "idle", message: null });

  const insert = (text: string) => {
    const el = area.current;
    if (!el) return;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    const before = el.value.slice(0, start);
    const after = el.value.slice(end);
    const pad = before && !before.endsWith("\n") ? "\n" : "";
    el.value = before + pad + text + "\n" + after;
    const caret = (before + pad + text + "\n").length;
    el.focus();
    el.setSelectionRange(caret, caret);
  };

  const onFile = async (chosen: File | undefined) => {
    if (!chosen) return;
    setUpload({ state: "uploading", message: t("editor.uploading") });
    const body = new FormData();
    body.append("file", chosen);
    if (spaceId) body.append("spaceId", spaceId);
    try {
      const res = await fetch("/api/v1/uploads", { method: "POST", body, credentials: "same-origin" });
      const json = (await res.json()) as UploadAnswer;
      if (!res.ok || !json.url) throw new Error(json.error ? t(`apiError.${json.error.code}`, { defaultValue: json.error.message }) : t("apiError.error"));
      setMode("write");
      // wait for the textarea to be visible again before placing the caret; "added" once it is in
      requestAnimationFrame(() => {
        insert(`![](${json.url})`);
        setUpload({ state: "done", message: t(spaceId ? "editor.uploadedForSpace" : "editor.uploaded") });
      });
    } catch (err) {
      setUpload({ state: "error", message: err instanceof Error ? err.message : t("apiError.error") });
    } finally {
      if (file.current) file.current.value = "";
    }
  };

  const showPreview = () => {
    setMode("preview");
    preview.submit({ body: area.current?.value ?? "" }, { method: "post", action: "/markdown-preview" });
  };

  const tab = (active: boolean) =>
    cx(
      // a tab's word never breaks (at 375 px "Writ/e" did): the image button's label gives way instead
      "shrink-0 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-semibold transition-colors disabled:cursor-not-allowed disabled:opacity-60",
      focusRing,
      active ? "bg-white text-slate-900 shadow-sm ring-1 ring-slate-200" : "text-slate-600 hover:text-slate-900",
    );
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className={labelHidden ? "sr-only" : "block text-sm font-medium text-slate-800"}>
        {label}
      </label>
      <div className={cx("overflow-hidden rounded-lg border bg-white shadow-sm", error ? "border-red-600" : "border-slate-300 focus-within:border-brand-600 focus-within:ring-2 focus-within:ring-brand-600/30")}>
        <div className="flex items-center justify-between gap-2 border-b border-slate-200 bg-slate-50 px-2 py-1.5">
          <div className="flex shrink-0 gap-1" role="group" aria-label={t("editor.mode")}>
            <button type="button" className={tab(mode === "write")} aria-pressed={mode === "write"} onClick={() => setMode("write")} disabled={!hydrated}>
              {t("editor.write")}
            </button>
            <button type="button" className={tab(mode === "preview")} aria-pressed={mode === "preview"} onClick={showPreview} disabled={!hydrated}>
              {t("editor.preview")}
            </button>
          </div>
          <input
            ref={file}
            id={`${id}-file`}
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            className="sr-only"
            tabIndex={-1}
            aria-label={t("editor.addImage")}
            onChange={(e) => void onFile(e.currentTarget.files?.[0])}
          />
          <button
            type="button"
            onClick={() => file.current?.click()}
            disabled={!hydrated || upload.state === "uploading"}
            className={cx("inline-flex min-w-0 items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-white hover:text-slate-900 disabled:cursor-not-allowed disabled:opacity-60", focusRing)}
          >
            <ImageIcon className="size-4 shrink-0" />
            <span className="truncate">{upload.state === "uploading" ? t("editor.uploading") : t("editor.addImage")}</span>
          </button>
        </div>
        <textarea
          ref={area}
          id={id}
          name={name}
          rows={rows}
          defaultValue={defaultValue}
          placeholder={placeholder}
          required={required}
          maxLength={maxLength}
          autoFocus={autoFocus}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : hintId}
          {...mention.textareaProps}
          className={cx("block w-full resize-y border-0 px-3 py-2.5 text-sm leading-6 text-slate-900 placeholder:text-slate-500 focus:outline-none focus:ring-0", mode === "preview" && "hidden")}
        />
        {mode === "write" ? mention.list : null}
        {mention.field}
        {mode === "preview" ? (
          <div className="min-h-32 px-4 py-3" aria-live="polite" aria-busy={preview.state !== "idle"}>
            {preview.state !== "idle" ? (
              <p className="text-sm text-slate-600">{t("editor.rendering")}</p>
            ) : preview.data?.html ? (
              <RichText html={preview.data.html} size="sm" scope={`preview-${id}`} />
            ) : (
              <p className="text-sm text-slate-600">{t("editor.nothingToPreview")}</p>
            )}
          </div>
        ) : null}
      </div>
      {error ? (
        <p id={errorId} className="text-sm font-medium text-red-700" role="alert">
          {issueText(t, error)}
        </p>
      ) : (
        <p id={hintId} className="text-xs text-slate-600">
          {t("editor.hint")}
        </p>
      )}
      <p className={cx("text-sm", upload.state === "error" ? "font-medium text-red-700" : "text-slate-600", !upload.message && "sr-only")} aria-live="polite">
        {upload.message}
      </p>
    </div>
  );
}

export function ReactionSummary({ reactions }: { reactions: Reaction[] }) {
  const shown = reactions.filter((r) => r.count > 0).slice(0, 3);
  if (shown.length === 0) return null;
  return (
    <span className="inline-flex items-center gap-1">
      {shown.map((r) => (
        <span key={r.emoji} className="inline-flex items-center gap-0.5">
          <span aria-hidden="true">{r.emoji}</span>
          <span className="tabular-nums">{r.count}</span>
        </span>
      ))}
    </span>
  );
}

/** Pinned, new, locked — and, for moderators and the author, pending review and hidden. */
export function PostBadges({ post, showStatus }: { post: FeedPost; showStatus: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {post.pinned ? (
        <Badge tone="brand" className="gap-1">
          <PinIcon className="size-3" />
          {t("post.pinned")}
        </Badge>
      ) : null}
      {post.isNew ? <Badge tone="success">{t("post.new")}</Badge> : null}
      {post.locked ? (
        <Badge className="gap-1">
          <LockIcon className="size-3" />
          {t("post.locked")}
        </Badge>
      ) : null}
      {showStatus && post.moderationStatus === "pending_review" ? <Badge tone="warning">{t("post.pendingReview")}</Badge> : null}
      {showStatus && post.hidden ? <Badge tone="danger">{t("post.hiddenBadge")}</Badge> : null}
    </>
  );
}

export function PostCard({ post, slug, locale, showStatus = false }: { post: FeedPost; slug: string; locale: string; showStatus?: boolean }) {
  const { t } = useTranslation();
  const href = `/c/${slug}/posts/${post.id}`;
  return (
    <article className={cx("group relative flex gap-3 rounded-2xl border bg-white p-4 shadow-sm transition-shadow hover:shadow-md sm:gap-4 sm:p-5", post.isNew ? "border-brand-100" : "border-slate-200")} data-post-id={post.id}>
      <Avatar name={post.author.name} src={post.author.avatarUrl} />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-slate-600">
          {/* one line: a long name is cut short, the time always shows */}
          <span className="flex max-w-full items-center gap-x-2">
            <Name className="truncate font-medium text-slate-900">{post.author.name}</Name>
            <span aria-hidden="true">·</span>
            <span className="shrink-0">
              <TimeStamp value={post.createdAt} withTime={false} />
            </span>
          </span>
          <PostBadges post={post} showStatus={showStatus} />
        </div>
        <h3 className="mt-1 line-clamp-3 text-base font-semibold leading-snug text-slate-900 sm:text-lg">
          <Link to={href} className={cx("rounded after:absolute after:inset-0 after:rounded-2xl hover:text-brand-700", focusRing)}>
            {post.title}
          </Link>
        </h3>
        {post.excerpt ? <p className="mt-1 line-clamp-2 text-sm leading-6 text-slate-600">{post.excerpt}</p> : null}
        <div className="mt-3 flex flex-wrap items-center gap-4 text-sm text-slate-600">
          <span className="inline-flex items-center gap-1.5">
            <ChatIcon />
            {t("post.commentCount", { count: post.commentCount })}
          </span>
          <ReactionSummary reactions={post.reactions} />
        </div>
      </div>
    </article>
  );
}

/**
 * A space or post above the reader's tier. With `offer` (the tier is on sale: a published price,
 * ADR 039) the button starts that checkout; without one it leads to the plan page, which says
 * what can be bought — never a button that cannot work. With payments off (`paymentsOn` false:
 * no Stripe key on this deployment) nothing can be bought, so the text says to ask the
 * community's admins, who can grant a tier, instead of "Upgrade".
 */
export function UpgradePrompt({
  slug,
  tierName,
  spaceName,
  offer,
  paymentsOn = true,
}: {
  slug: string;
  tierName: string;
  spaceName?: string;
  offer?: { tier: TierKey; interval: Interval } | null;
  paymentsOn?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col items-center rounded-2xl border border-amber-200 bg-gradient-to-b from-amber-50 to-white px-6 py-12 text-center">
      <span className="mb-4 flex size-12 items-center justify-center rounded-full bg-amber-100 text-amber-900">
        <LockIcon className="size-6" />
      </span>
      <h2 className="text-lg font-semibold text-slate-900">{spaceName ? t("spaces.lockedTitle", { name: spaceName, tier: tierName }) : t("spaces.lockedTitleGeneric")}</h2>
      <p className="mt-2 max-w-md text-sm text-slate-700" data-testid="locked-body">
        {t(paymentsOn ? "spaces.lockedBody" : "spaces.lockedBodyAskAdmin", { tier: tierName })}
      </p>
      {offer && paymentsOn ? (
        <>
          <CheckoutForm slug={slug} tier={offer.tier} interval={offer.interval} label={t("spaces.upgradeTo", { tier: tierName })} className="mt-6" />
          <TextLink to={`/c/${slug}/billing`} className="mt-3 text-sm">
            {t("billing.seeAllPlans")}
          </TextLink>
        </>
      ) : (
        <ButtonLink to={`/c/${slug}/billing`} className="mt-6">
          {t("billing.seeAllPlans")}
        </ButtonLink>
      )}
    </div>
  );
}

export function Breadcrumbs({ items }: { items: Array<{ to?: string; label: ReactNode }> }) {
  const { t } = useTranslation();
  return (
    <nav aria-label={t("common.breadcrumbs")} className="mb-4 text-sm">
      <ol className="flex flex-wrap items-center gap-1.5 text-slate-600">
        {items.map((item, i) => (
          <li key={i} className="flex min-w-0 items-center gap-1.5">
            {i > 0 ? <span aria-hidden="true">/</span> : null}
            {item.to ? (
              <Link to={item.to} className={cx("truncate rounded font-medium text-slate-700 hover:text-brand-700 hover:underline", focusRing)}>
                {typeof item.label === "string" ? <Name>{item.label}</Name> : item.label}
              </Link>
            ) : (
              <span aria-current="page" className="truncate text-slate-900">
                {typeof item.label === "string" ? <Name>{item.label}</Name> : item.label}
              </span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
