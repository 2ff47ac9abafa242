// The bell in the header. Without JavaScript it is a link to /notifications; once hydrated a click
// opens a panel with the latest few (loaded from the same route), each opening its target.
import { useEffect, useState } from "react";
import { ItemBoundary } from "./item-boundary";
import { Name, IsolateNames } from "./name";
import { usePopover } from "./use-popover";
import { useTranslation } from "react-i18next";
import { Form, Link, useFetcher, useLocation } from "react-router";
import type { AppNotification } from "../lib/types";
import { BellIcon, TimeStamp } from "./discussions";
import { Avatar, cx, focusRing } from "./ui";

type Peek = { items: AppNotification[]; unreadCount: number; locale: string };

/** One notification as a button that marks it read and goes to its post or comment. */
export function NotificationRow({ n, locale, back, compact = false }: { n: AppNotification; locale: string; back?: string; compact?: boolean }) {
  const { t } = useTranslation();
  const unread = !n.readAt;
  return (
    <Form method="post" action="/notifications" className="min-w-0 flex-1">
      <input type="hidden" name="id" value={n.id} />
      <input type="hidden" name="url" value={n.url} />
      {back ? <input type="hidden" name="back" value={back} /> : null}
      <button type="submit" name="intent" value="open" className={cx("flex w-full items-start gap-3 rounded-xl text-left hover:bg-slate-50", compact ? "p-2" : "p-2", focusRing)}>
        <Avatar name={n.actor?.name ?? "?"} size="sm" />
        <span className="min-w-0 flex-1">
          <span className={cx("block text-sm leading-6", unread ? "font-semibold text-slate-900" : "text-slate-700")}>
            <IsolateNames text={n.text} names={[n.actor?.name, n.title, n.spaceName]} />
          </span>
          <span className="mt-0.5 block text-xs text-slate-600">
            <Name>{n.community.name}</Name>
            {" · "}
            <TimeStamp value={n.createdAt} />
            {unread ? <span className="sr-only">{` · ${t("notifications.unreadLabel")}`}</span> : null}
          </span>
        </span>
        {unread ? <span aria-hidden="true" className="mt-2 size-2.5 shrink-0 rounded-full bg-brand-600" /> : null}
      </button>
    </Form>
  );
}

export function NotificationBell({ count }: { count: number }) {
  const { t } = useTranslation();
  const location = useLocation();
  const peek = useFetcher<Peek>();
  const markAll = useFetcher();
  const [open, setOpen] = useState(false);
  const { box, toggle: button } = usePopover(open, () => setOpen(false));
  const shown = count > 99 ? "99+" : String(count);

  useEffect(() => setOpen(false), [location.key]);

  const label = count > 0 ? t("shell.notificationsUnread", { count }) : t("shell.notifications");
  const items = peek.data?.items ?? [];
  return (
    <div ref={box} className="relative">
      <Link
        ref={button}
        to="/notifications"
        onClick={(e) => {
          // plain clicks open the panel; modified clicks (new tab) keep the link
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          const next = !open;
          setOpen(next);
          if (next) peek.load("/notifications?limit=6");
        }}
        className={cx("relative flex size-9 items-center justify-center rounded-full text-slate-700 hover:bg-slate-100 hover:text-slate-900", focusRing, open && "bg-slate-100 text-slate-900")}
        aria-label={label}
        aria-expanded={open}
        aria-haspopup="dialog"
        data-testid="notification-bell"
      >
        <BellIcon className="size-5" />
        {count > 0 ? (
          <span aria-hidden="true" className="absolute -right-0.5 -top-0.5 min-w-[1.125rem] rounded-full bg-red-700 px-1 text-center text-[0.6875rem] font-bold leading-[1.125rem] text-white ring-2 ring-white">
            {shown}
          </span>
        ) : null}
      </Link>
      <span className="sr-only" aria-live="polite">
        {count > 0 ? label : ""}
      </span>
      {open ? (
        <div
          role="dialog"
          aria-label={t("notifications.title")}
          className="fixed inset-x-2 top-16 z-30 rounded-2xl border border-slate-200 bg-white shadow-xl sm:absolute sm:inset-x-auto sm:right-0 sm:top-auto sm:mt-2 sm:w-96"
        >
          <div className="flex items-center justify-between gap-3 border-b border-slate-100 px-4 py-3">
            <h2 className="text-sm font-semibold text-slate-900">{t("notifications.title")}</h2>
            {count > 0 ? (
              <markAll.Form method="post" action="/notifications">
                <input type="hidden" name="back" value={location.pathname + location.search} />
                <button type="submit" name="intent" value="read-all" className={cx("rounded-md px-2 py-1 text-xs font-semibold text-brand-700 hover:bg-brand-50", focusRing)}>
                  {t("notifications.markAllRead")}
                </button>
              </markAll.Form>
            ) : null}
          </div>
          <div className="max-h-[min(28rem,70vh)] overflow-y-auto p-2" aria-busy={peek.state !== "idle"}>
            {!peek.data && peek.state !== "idle" ? (
              <p className="px-2 py-6 text-center text-sm text-slate-600">{t("notifications.loading")}</p>
            ) : items.length === 0 ? (
              <div className="px-4 py-8 text-center">
                <p className="text-sm font-semibold text-slate-900">{t("notifications.emptyTitle")}</p>
                <p className="mt-1 text-sm text-slate-600">{t("notifications.emptyBody")}</p>
              </div>
            ) : (
              <ul className="space-y-0.5">
                {items.map((n) => (
                  <li key={n.id} className={cx("rounded-xl", !n.readAt && "bg-brand-50/50")}>
                    <ItemBoundary><NotificationRow n={n} locale={peek.data?.locale ?? "en"} compact /></ItemBoundary>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="border-t border-slate-100 p-2">
            <Link to="/notifications" className={cx("block rounded-lg px-3 py-2 text-center text-sm font-semibold text-brand-700 hover:bg-brand-50", focusRing)}>
              {t("notifications.seeAll")}
            </Link>
          </div>
        </div>
      ) : null}
    </div>
  );
}
