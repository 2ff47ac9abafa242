import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import { data } from "react-router";
import type { Route } from "./+types/dev-outbox";
import { Alert, Badge, Container, EmptyState, PageHeader, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { latestMails } from "../../workers/mail/preview";
import { isDevMode } from "../lib/forms.server";
import { LocalTime } from "../components/local-time";
import type { OutboxMail } from "../lib/types";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  // the same check as GET /api/v1/dev/outbox: DEV_MODE and a request from this machine
  if (!isDevMode(cf, request)) throw data(null, { status: 404 });
  const mails: OutboxMail[] = await latestMails(cf.env);
  return { mails, locale: findLocale(request, cf.user) };
}

const urlPattern = /(https?:\/\/[^\s<>"')]+)/g;

/** Mail text with its links made clickable (text only: nothing in a mail becomes markup). */
function Linkified({ text }: { text: string }) {
  const parts = text.split(urlPattern);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} className={cx("break-all rounded font-medium text-brand-700 underline underline-offset-2", focusRing)}>
            {part}
          </a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

export default function DevOutbox({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { mails, locale } = loaderData;
  return (
    <Container size="md">
      <title>{t("outbox.title") + " · " + t("app.name")}</title>
      <PageHeader eyebrow={<Badge tone="warning">{t("outbox.devOnly")}</Badge>} title={t("outbox.title")} description={t("outbox.description")} />
      <Alert tone="warning" className="mb-6">
        {t("outbox.warning")}
      </Alert>
      {mails.length === 0 ? (
        <EmptyState title={t("outbox.emptyTitle")} description={t("outbox.emptyBody")} />
      ) : (
        <ol className="space-y-4">
          {mails.map((mail) => (
            <li key={mail.id} className="overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm" data-mail-to={mail.to} data-mail-kind={mail.kind}>
              <div className="border-b border-slate-100 bg-slate-50 px-5 py-3">
                <div className="flex flex-wrap items-center gap-2">
                  <Badge tone="brand">{mail.kind}</Badge>
                  <time className="text-xs text-slate-600" dateTime={mail.createdAt}>
                    <LocalTime value={mail.createdAt} withTime />
                  </time>
                </div>
                <h2 className="mt-1.5 font-semibold text-slate-900">{mail.subject}</h2>
                <p className="text-sm text-slate-600">{t("outbox.to", { to: mail.to })}</p>
              </div>
              <pre className="whitespace-pre-wrap break-words px-5 py-4 font-sans text-sm leading-6 text-slate-800">
                <Linkified text={mail.text} />
              </pre>
            </li>
          ))}
        </ol>
      )}
    </Container>
  );
}
