// The list of dead letters (background work that failed every attempt) with its notices, empty
// state and paging: one component for a community's admins and for the platform's operators.
import { useTranslation } from "react-i18next";
import { Form, useSearchParams } from "react-router";
import type { DeadLetter } from "../lib/types";
import { FormError, SubmitButton, type ClientFormErrors } from "./form-bits";
import { LocalTime } from "./local-time";
import { Name } from "./name";
import { Alert, Badge, ButtonLink, EmptyState, LoadError, TextLink } from "./ui";

/** What loadDeadLetters (lib/dead-letters.server.ts) returns: one page, the scope's total, the cursors. */
export type DeadLetterListPage = { items: DeadLetter[]; total: number; nextCursor: string | null; cursor: string | null; loadFailed: boolean };

function CheckIcon({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" className={className} aria-hidden="true">
      <path d="M22 11.1V12a10 10 0 1 1-5.9-9.1" />
      <path d="m22 4-10 10-3-3" />
    </svg>
  );
}

/** The post or comment a dead letter is about, linked when it lives in this community (`slug`). */
function Subject({ letter, slug }: { letter: DeadLetter; slug?: string }) {
  const { t } = useTranslation();
  const { type, id } = letter.subject;
  if (slug && letter.postId && (type === "post" || type === "comment")) {
    const href = `/c/${slug}/posts/${letter.postId}${type === "comment" ? `#comment-${id}` : ""}`;
    return <TextLink to={href}>{t(`deadLetters.open.${type}`)}</TextLink>;
  }
  return (
    <span>
      {t(`deadLetters.subjects.${type}`, { defaultValue: type })} <code className="break-all font-mono text-xs text-slate-600">{id}</code>
    </span>
  );
}

function DeadLetterRow({ letter, slug, showCommunity, cursor }: { letter: DeadLetter; slug?: string; showCommunity: boolean; cursor: string | null }) {
  const { t } = useTranslation();
  const titleId = `dead-letter-${letter.id}`;
  return (
    <li className="space-y-3 p-4 sm:p-5" data-dead-letter={letter.id}>
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          {/* "post.created" reads as the nested key kinds.post.created (i18next splits keys at dots) */}
          <h3 id={titleId} className="text-sm font-semibold text-slate-900">
            {t(`deadLetters.kinds.${letter.kind}`, { defaultValue: t("deadLetters.kinds.unknown") })}
          </h3>
          <p className="mt-0.5 break-all font-mono text-xs text-slate-600">{letter.kind}</p>
        </div>
        <Form method="post" className="shrink-0">
          {cursor ? <input type="hidden" name="cursor" value={cursor} /> : null}
          <SubmitButton intent={`retry:${letter.id}`} variant="secondary" size="sm" aria-describedby={titleId}>
            {t("deadLetters.retry")}
          </SubmitButton>
        </Form>
      </div>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-2 text-sm sm:gap-x-6">
        <dt className="text-slate-600">{t("deadLetters.subject")}</dt>
        <dd className="min-w-0 text-slate-900">
          <Subject letter={letter} slug={slug} />
        </dd>
        {showCommunity ? (
          <>
            <dt className="text-slate-600">{t("deadLetters.community")}</dt>
            <dd className="min-w-0 text-slate-900">
              {letter.community ? (
                <TextLink className="break-words" to={`/c/${letter.community.slug}/settings/background-work`}>
                  <Name>{letter.community.name}</Name>
                </TextLink>
              ) : (
                t("deadLetters.noCommunity")
              )}
            </dd>
          </>
        ) : null}
        <dt className="text-slate-600">{t("deadLetters.when")}</dt>
        <dd className="text-slate-900">
          <LocalTime value={letter.createdAt} withTime />
        </dd>
        <dt className="text-slate-600">{t("deadLetters.attemptsLabel")}</dt>
        <dd className="flex flex-wrap items-center gap-2 text-slate-900">
          <Badge tone="danger">{t("deadLetters.attempts", { count: letter.attempts })}</Badge>
          {letter.handled.length > 0 ? (
            <span className="text-slate-600">
              {t("deadLetters.handled", { steps: letter.handled.map((h) => t(`deadLetters.handlers.${h}`, { defaultValue: h })).join(t("deadLetters.listSeparator")) })}
            </span>
          ) : null}
        </dd>
      </dl>
      <div>
        <p className="text-sm text-slate-600">{t("deadLetters.lastError")}</p>
        {/* the error is the handler's own text (English, from the runtime): shown as it is, wrapped */}
        <pre className="mt-1 max-h-48 overflow-y-auto whitespace-pre-wrap break-words rounded-lg bg-slate-50 p-3 font-mono text-xs text-slate-800 ring-1 ring-inset ring-slate-200" lang={letter.lastError ? "en" : undefined}>
          {letter.lastError ?? t("deadLetters.noError")}
        </pre>
      </div>
    </li>
  );
}

/**
 * The page body: the retry's notice, then the rows (or LoadError, or the empty state that says
 * what this page is for), then paging by cursor. `slug` links posts and comments of that
 * community; `showCommunity` names each row's community (the platform list).
 */
export function DeadLetterList({ page, failure, slug, showCommunity = false }: { page: DeadLetterListPage; failure?: ClientFormErrors | null; slug?: string; showCommunity?: boolean }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const { items, nextCursor, cursor, loadFailed } = page;
  return (
    <div className="space-y-4">
      {params.get("retried") && !failure ? <Alert tone="success">{t("deadLetters.retried")}</Alert> : null}
      {failure?.code === "not_found" ? <Alert tone="warning">{t("deadLetters.retryGone")}</Alert> : <FormError errors={failure} />}
      {loadFailed ? (
        <LoadError message={t("loadError.deadLetters")} />
      ) : items.length === 0 ? (
        <EmptyState icon={<CheckIcon className="size-6" />} title={cursor ? t("deadLetters.emptyPageTitle") : t("deadLetters.emptyTitle")} description={t("deadLetters.emptyBody")} />
      ) : (
        <ul className="divide-y divide-slate-100 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm">
          {items.map((letter) => (
            <DeadLetterRow key={letter.id} letter={letter} slug={slug} showCommunity={showCommunity} cursor={cursor} />
          ))}
        </ul>
      )}
      {nextCursor || cursor ? (
        <nav className="flex flex-wrap justify-center gap-3 pt-2" aria-label={t("deadLetters.paging")}>
          {cursor ? (
            <ButtonLink to="?" variant="ghost" size="sm">
              {t("common.firstPage")}
            </ButtonLink>
          ) : null}
          {nextCursor ? (
            <ButtonLink to={`?${new URLSearchParams({ cursor: nextCursor })}`} variant="secondary" size="sm">
              {t("common.nextPage")}
            </ButtonLink>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}
