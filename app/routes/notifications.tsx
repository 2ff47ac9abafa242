import { useTranslation } from "react-i18next";
import { Form, NavLink, redirect, useActionData } from "react-router";
import { ItemBoundary } from "../components/item-boundary";
import type { Route } from "./+types/notifications";
import { BellIcon } from "../components/discussions";
import { NotificationRow } from "../components/notification-bell";
import { FormError, SubmitButton } from "../components/form-bits";
import { ButtonLink, Container, EmptyState, LoadError, PageHeader, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { requireReaderUser } from "../../workers/domain/access";
import { MarkReadBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { attempt, refuseBadCursor } from "../lib/use-case.server";
import { markRead, readNotifications } from "../../workers/domain/notifications/list";
import { fail, field, requireSignedIn, safeNext, unknownIntent } from "../lib/forms.server";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const user = requireSignedIn(cf, request);
  const url = new URL(request.url);
  const unreadOnly = url.searchParams.get("unread") === "1";
  const cursor = url.searchParams.get("cursor");
  // the header bell asks for a few; the page shows a screenful
  const limit = Math.min(30, Math.max(1, Number(url.searchParams.get("limit")) || 30));
  const result = refuseBadCursor(await attempt(() => readNotifications(cf.env, user.id, { limit, cursor, unreadOnly })));
  return {
    locale: findLocale(request, cf.user),
    loadFailed: !result.ok,
    items: result.ok ? result.data.items : [],
    nextCursor: result.ok ? result.data.nextCursor : null,
    unreadCount: result.ok ? result.data.unreadCount : 0,
    unreadOnly,
    cursor,
  };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const id = field(form, "id");
  const back = safeNext(field(form, "back"), "/notifications");
  // as POST /me/notifications/read: the listed ids, or all with none
  const mark = (body: { ids?: string[] }) => attempt(async () => markRead(cf.env, (await requireReaderUser(cf.reader)).id, parseInput(MarkReadBody, body).ids));
  if (intent === "open") {
    // opening marks it read; a failure to mark must not keep the reader from the content
    await mark({ ids: [id] });
    return redirect(safeNext(field(form, "url"), "/notifications"));
  }
  if (intent === "read" || intent === "read-all") {
    const result = await mark(intent === "read" ? { ids: [id] } : {});
    if (!result.ok) return fail(result);
    return redirect(back);
  }
  return unknownIntent();
}

export default function Notifications({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { items, nextCursor, unreadCount, unreadOnly, cursor, locale, loadFailed } = loaderData;
  const back = `/notifications${unreadOnly ? "?unread=1" : ""}`;
  const filter = (active: boolean) =>
    cx("shrink-0 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-semibold", focusRing, active ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900");
  return (
    <Container size="md">
      <title>{t("notifications.title") + " · " + t("app.name")}</title>
      <PageHeader
        title={t("notifications.title")}
        description={<span aria-live="polite">{unreadCount > 0 ? t("notifications.unreadSummary", { count: unreadCount }) : t("notifications.allCaughtUp")}</span>}
        actions={
          unreadCount > 0 ? (
            <Form method="post">
              <input type="hidden" name="back" value={back} />
              <SubmitButton intent="read-all" variant="secondary" size="sm">
                {t("notifications.markAllRead")}
              </SubmitButton>
            </Form>
          ) : null
        }
      />
      <FormError errors={actionData?.errors} />
      <nav aria-label={t("notifications.filter")} className="mb-4 inline-flex rounded-lg bg-slate-100 p-1">
        <NavLink to="/notifications" end className={() => filter(!unreadOnly)} aria-current={!unreadOnly ? "page" : undefined}>
          {t("notifications.all")}
        </NavLink>
        <NavLink to="/notifications?unread=1" className={() => filter(unreadOnly)} aria-current={unreadOnly ? "page" : undefined}>
          {t("notifications.unread")}
        </NavLink>
      </nav>
      {loadFailed ? (
        <LoadError message={t("loadError.notifications")} />
      ) : items.length === 0 ? (
        <EmptyState icon={<BellIcon className="size-6" />} title={unreadOnly ? t("notifications.emptyUnreadTitle") : t("notifications.emptyTitle")} description={t("notifications.emptyBody")} />
      ) : (
        <ul className="divide-y divide-slate-100 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm">
          {items.map((n) => {
            const unread = !n.readAt;
            return (
              <li key={n.id} className={cx("flex items-start gap-2 p-2 sm:p-3", unread && "bg-brand-50/50")} data-notification-kind={n.kind}>
                <ItemBoundary><NotificationRow n={n} locale={locale} /></ItemBoundary>
                {unread ? (
                  <Form method="post" className="shrink-0 pt-1.5">
                    <input type="hidden" name="id" value={n.id} />
                    <input type="hidden" name="back" value={back} />
                    <button
                      type="submit"
                      name="intent"
                      value="read"
                      className={cx("rounded-md px-2 py-1.5 text-xs font-semibold text-brand-700 hover:bg-brand-50", focusRing)}
                      aria-label={t("notifications.markReadLabel", { text: n.text })}
                    >
                      {t("notifications.markRead")}
                    </button>
                  </Form>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {nextCursor || cursor ? (
        <div className="mt-6 flex flex-wrap justify-center gap-3">
          {cursor ? (
            <ButtonLink to={back} variant="ghost" size="sm">
              {t("common.firstPage")}
            </ButtonLink>
          ) : null}
          {nextCursor ? (
            <ButtonLink to={`?${new URLSearchParams({ ...(unreadOnly ? { unread: "1" } : {}), cursor: nextCursor })}`} variant="secondary" size="sm">
              {t("common.nextPage")}
            </ButtonLink>
          ) : null}
        </div>
      ) : null}
    </Container>
  );
}
