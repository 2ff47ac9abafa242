// The community's spaces as a side list (feed and post pages): where am I, what else is there,
// which ones have something new.
import { useTranslation } from "react-i18next";
import { Form, NavLink } from "react-router";
import type { SpaceEntry } from "../lib/types";
import { ChatIcon, HashIcon, LockIcon, SearchIcon } from "./discussions";
import { cx, focusRing } from "./ui";
import { usePresence } from "../lib/presence-socket";

/** A badge's text: counts past 99 as "99+", as chat apps do (the full count is read out). */
export const unreadBadge = (count: number) => (count > 99 ? "99+" : String(count));

export function SpaceNav({ slug, spaces, currentId }: { slug: string; spaces: SpaceEntry[]; currentId?: string }) {
  const { t } = useTranslation();
  // a signed-in reader's list carries unread counts; the presence socket keeps them live (ADR 033)
  const live = usePresence(slug, spaces.some((e) => e.unread !== undefined));
  const unreadOf = (entry: SpaceEntry) => live.unread.get(entry.space.id) ?? entry.unread ?? 0;
  const shown = spaces.filter((e) => !e.space.archived && (e.space.kind === "discussion" || e.space.kind === "chat"));
  if (shown.length === 0) return null;
  return (
    <nav aria-label={t("spaces.navLabel")} className="rounded-2xl border border-slate-200 bg-white p-3 shadow-sm">
      <h2 className="px-2 pb-2 pt-1 text-xs font-semibold uppercase tracking-wide text-slate-600">{t("spaces.title")}</h2>
      <ul className="space-y-0.5">
        {shown.map(({ space, locked }) => (
          <li key={space.id}>
            <NavLink
              to={`/c/${slug}/s/${space.id}`}
              aria-current={space.id === currentId ? "page" : undefined}
              className={cx(
                "flex items-center gap-2 rounded-lg px-2 py-2 text-sm",
                focusRing,
                space.id === currentId ? "bg-brand-50 font-semibold text-brand-900" : "text-slate-700 hover:bg-slate-50 hover:text-slate-900",
              )}
            >
              {locked ? (
                <LockIcon className="size-4 shrink-0 text-amber-800" />
              ) : space.kind === "chat" ? (
                <ChatIcon className="size-4 shrink-0 text-slate-500" />
              ) : (
                <HashIcon className="size-4 shrink-0 text-slate-500" />
              )}
              <span className="min-w-0 flex-1 truncate">{space.name}</span>
              {locked ? <span className="sr-only">{t("spaces.lockedShort")}</span> : null}
              {!locked && space.id !== currentId && space.kind !== "chat" && (space.newPosts ?? 0) > 0 ? (
                <span className="rounded-full bg-brand-600 px-1.5 text-xs font-semibold tabular-nums text-white">{space.newPosts}</span>
              ) : null}
              {!locked && space.kind === "chat" && unreadOf({ space, locked }) > 0 ? (
                <span className="rounded-full bg-brand-600 px-1.5 text-xs font-semibold tabular-nums text-white" data-testid="unread-badge">
                  <span aria-hidden="true">{unreadBadge(unreadOf({ space, locked }))}</span>
                  <span className="sr-only">{t("chat.unreadCount", { count: unreadOf({ space, locked }) })}</span>
                </span>
              ) : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function SearchBox({ slug }: { slug: string }) {
  const { t } = useTranslation();
  return (
    <Form method="get" action={`/c/${slug}/search`} role="search" className="relative">
      <label htmlFor="side-search" className="sr-only">
        {t("search.label")}
      </label>
      <SearchIcon className="pointer-events-none absolute left-3 top-1/2 size-4 -translate-y-1/2 text-slate-500" />
      <input
        id="side-search"
        type="search"
        name="q"
        placeholder={t("search.sidePlaceholder")}
        className="block h-10 w-full rounded-xl border border-slate-300 bg-white pl-9 pr-3 text-sm text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30"
      />
    </Form>
  );
}
