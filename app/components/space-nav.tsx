// The community's spaces as a side list (feed and post pages): where am I, what else is there,
// which ones have something new.
import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import type { SpaceEntry } from "../lib/types";
import { HashIcon, LockIcon } from "./discussions";
import { cx, focusRing } from "./ui";

export function SpaceNav({ slug, spaces, currentId }: { slug: string; spaces: SpaceEntry[]; currentId?: string }) {
  const { t } = useTranslation();
  const shown = spaces.filter((e) => !e.space.archived && e.space.kind === "discussion");
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
              {locked ? <LockIcon className="size-4 shrink-0 text-amber-800" /> : <HashIcon className="size-4 shrink-0 text-slate-500" />}
              <span className="min-w-0 flex-1 truncate">{space.name}</span>
              {locked ? <span className="sr-only">{t("spaces.lockedShort")}</span> : null}
              {!locked && (space.newPosts ?? 0) > 0 ? (
                <span className="rounded-full bg-brand-600 px-1.5 text-xs font-semibold tabular-nums text-white">{space.newPosts}</span>
              ) : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
