// After Stripe's checkout (issue 14 point 3): the tier changes only when the verified webhook has
// landed, so this page polls GET …/billing/checkout/:sessionId every 1.5 s, says it is waiting,
// and after 60 s says it is taking longer; once done it re-reads its loader and lists the spaces
// the new tier opened.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useRevalidator } from "react-router";
import type { Route } from "./+types/community-billing-success";
import { CommunityHeader } from "../components/community-header";
import { Name } from "../components/name";
import { Alert, ButtonLink, Card, Container, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { openMemberPage } from "../lib/community.server";
import { requireSignedIn } from "../lib/forms.server";
import { attempt } from "../lib/use-case.server";
import { readCheckoutState } from "../../workers/billing/reads";
import { loadSpaces } from "../lib/discussions.server";
import type { CheckoutState } from "../lib/billing";

/** How often the page asks (ms) and when it stops to say the payment is taking longer (ms). */
export const POLL_MS = 1500;
export const POLL_GIVE_UP_MS = 60_000;

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const me = requireSignedIn(cf, request);
  const sessionId = new URL(request.url).searchParams.get("session_id") ?? "";
  // the route's own bounds on a session id (1–255 characters): anything else is no such checkout
  const state = sessionId.length > 0 && sessionId.length <= 255 ? await attempt(() => readCheckoutState(cf.env, params.slug, me.id, sessionId)) : null;
  let page: Awaited<ReturnType<typeof openMemberPage>>;
  try {
    page = await openMemberPage(cf, request, params.slug);
  } catch (refused) {
    // someone who bought from the pricing page becomes a member when the webhook lands (buying
    // is joining): until then their own checkout session is all this page may show them
    if (state?.ok && state.data.state !== "done") return { pending: true as const, slug: params.slug, sessionId };
    throw refused;
  }
  const { answer, access } = page;
  const spaces = await loadSpaces(cf, access);
  return {
    pending: false as const,
    ...answer,
    sessionId,
    // the stand-in and Stripe deliver the webhook around the redirect: it may have landed already
    done: Boolean(state?.ok && state.data.state === "done"),
    // no such checkout of the reader's (404, whoever else's it may be); Stripe unreachable (502) is still a checkout to wait for
    unknownSession: state === null || (!state.ok && state.status === 404),
    opened: spaces.filter((e) => !e.locked && !e.space.archived && e.space.minTier !== "free").map((e) => ({ id: e.space.id, name: e.space.name, kind: e.space.kind })),
    // spaces that still need a higher tier: "nothing needs a paid tier" would be false then
    stillLocked: spaces.filter((e) => e.locked && !e.space.archived).length,
  };
}

/**
 * Asks whether the webhook landed every POLL_MS while `waiting`, and re-reads the loader when it
 * did; `slow` once POLL_GIVE_UP_MS passed without it.
 */
function useCheckoutPoll(slug: string, sessionId: string, waiting: boolean): boolean {
  const revalidator = useRevalidator();
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!waiting) return;
    let stopped = false;
    const started = Date.now();
    const url = `/api/v1/communities/${encodeURIComponent(slug)}/billing/checkout/${encodeURIComponent(sessionId)}`;
    const tick = async () => {
      if (stopped) return;
      if (Date.now() - started > POLL_GIVE_UP_MS) return setSlow(true);
      try {
        const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        const body = res.ok ? ((await res.json()) as CheckoutState) : null;
        if (body?.state === "done") {
          stopped = true;
          void revalidator.revalidate();
          return;
        }
      } catch {
        // a dropped request is asked again on the next tick
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    let timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // revalidator is a new object each render; the poll belongs to the session only
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [waiting, sessionId, slug]);
  return slow;
}

export default function BillingSuccess({ loaderData }: Route.ComponentProps) {
  return loaderData.pending ? <JoiningSoon slug={loaderData.slug} sessionId={loaderData.sessionId} /> : <Success data={loaderData} />;
}

/** The spinner with `text` while the webhook is awaited; past POLL_GIVE_UP_MS (`slow`), what to do instead. */
function Waiting({ slow, text }: { slow: boolean; text: string }) {
  const { t } = useTranslation();
  return slow ? (
    <Alert tone="warning" title={t("billing.success.slowTitle")}>
      {t("billing.success.slowBody")}
    </Alert>
  ) : (
    <div className="flex items-center gap-3" role="status" data-testid="checkout-waiting">
      <span aria-hidden="true" className="size-5 animate-spin rounded-full border-2 border-brand-600 border-t-transparent" />
      <p className="text-sm text-slate-700">{text}</p>
    </div>
  );
}

/** A buyer who is not a member yet: the payment went through, the membership follows the webhook. */
function JoiningSoon({ slug, sessionId }: { slug: string; sessionId: string }) {
  const { t } = useTranslation();
  const slow = useCheckoutPoll(slug, sessionId, true);
  return (
    <Container size="md" className="space-y-6">
      <title>{t("billing.success.title")}</title>
      <Card aria-live="polite">
        <Waiting slow={slow} text={t("billing.success.joining")} />
      </Card>
    </Container>
  );
}

function Success({ data }: { data: Extract<Route.ComponentProps["loaderData"], { pending: false }> }) {
  const { t } = useTranslation();
  const { community, viewer, sessionId, done, unknownSession, opened, stillLocked } = data;
  const slow = useCheckoutPoll(community.slug, sessionId, !done && !unknownSession);
  return (
    <>
      <title>{(unknownSession ? t("billing.success.unknownTitle") : t("billing.success.title")) + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <Card aria-live="polite">
          {unknownSession ? (
            <Alert tone="warning" title={t("billing.success.unknownTitle")}>
              <p data-testid="checkout-unknown">{t("billing.success.unknownBody")}</p>
            </Alert>
          ) : done ? (
            <div className="space-y-4" data-testid="checkout-done">
              <h2 className="text-lg font-semibold text-slate-900">{t("billing.success.doneTitle")}</h2>
              <p className="text-sm text-slate-700">{t("billing.success.doneBody")}</p>
              {/* the list's lead-in only with a list: a tier that opens no space says so once (finding 8) */}
              {opened.length > 0 ? <p className="text-sm text-slate-700">{t("billing.success.spacesLead")}</p> : null}
              {opened.length > 0 ? (
                <ul className="space-y-2">
                  {opened.map((space) => (
                    <li key={space.id}>
                      <Link to={`/c/${community.slug}/s/${space.id}`} className={cx("block rounded-lg border border-slate-200 px-4 py-3 font-medium text-brand-700 hover:bg-slate-50", focusRing)}>
                        <Name>{space.name}</Name>
                      </Link>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-sm text-slate-600" data-testid="checkout-no-spaces">
                  {stillLocked > 0 ? t("billing.success.noSpacesHigher", { count: stillLocked }) : t("billing.success.noSpaces")}
                </p>
              )}
            </div>
          ) : (
            <Waiting slow={slow} text={t("billing.success.waiting")} />
          )}
        </Card>
        <div className="flex flex-wrap gap-3">
          <ButtonLink to={`/c/${community.slug}`} variant="secondary">
            {t("billing.backToCommunity")}
          </ButtonLink>
          <ButtonLink to={`/c/${community.slug}/billing`} variant="ghost">
            {t("billing.seePlan")}
          </ButtonLink>
        </div>
      </Container>
    </>
  );
}
