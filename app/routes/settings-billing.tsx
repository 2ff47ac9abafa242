// The account's payments (issue 14, second tester's finding): every community where the reader
// has a billing account, member or not, with the plan there and Manage billing (Stripe's customer
// portal: receipts, card, cancelling). Someone who left, was removed or banned while a plan runs to
// the end of its period finds it here, since that community's pages are no longer theirs. The
// API twin is GET /me/billing and POST …/billing/portal.
import { useTranslation } from "react-i18next";
import { Form, Link, redirect } from "react-router";
import type { Route } from "./+types/settings-billing";
import { BillingNotice, PlanStatusBadge } from "../components/billing";
import { SubmitButton } from "../components/form-bits";
import { LocalTime } from "../components/local-time";
import { Name } from "../components/name";
import { SettingsNav } from "../components/settings-nav";
import { Badge, ButtonLink, Card, Container, EmptyState, LoadError, PageHeader, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { attempt, refuseBadCursor } from "../lib/use-case.server";
import { backWithError, paymentsConfigured, portalFor } from "../lib/billing.server";
import { planIsLive } from "../lib/billing";
import { field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { listBillingAccounts, type BillingAccount } from "../../workers/billing/accounts";

/** This page's path: where a portal refusal comes back to and where the portal returns a former member (billing/checkout.ts openPortal). */
const ACCOUNT_BILLING_PATH = "/settings/billing";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const user = requireSignedIn(cf, request);
  const cursor = new URL(request.url).searchParams.get("cursor");
  const accounts = refuseBadCursor(await attempt(() => listBillingAccounts(cf.env, user.id, { limit: 50, cursor })));
  return {
    accounts: accounts.ok ? accounts.data.items : [],
    nextCursor: accounts.ok ? accounts.data.nextCursor : null,
    isFirstPage: !cursor,
    loadFailed: !accounts.ok,
    paymentsOn: paymentsConfigured(cf.env),
  };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  if (field(form, "intent") !== "portal") return unknownIntent();
  const slug = field(form, "community");
  // as POST …/billing/portal: a member or anyone with a Customer there; refusals come back here
  const result = await portalFor(cf, request, slug);
  if (!result.ok) return backWithError(slug, ACCOUNT_BILLING_PATH, result.error.code === "not_found" ? "no_customer" : result.error.code);
  return redirect(result.data.url);
}

/** When the plan renews, its trial ends or it ends, in the reader's zone; nothing for an ended plan. */
function PlanDate({ plan }: { plan: BillingAccount["plan"] }) {
  const { t } = useTranslation();
  if (!planIsLive(plan.status) || !plan.currentPeriodEnd || plan.cancelAtPeriodEnd) return null;
  const trial = plan.status === "trialing" && plan.trialEnd;
  return (
    <p className="text-sm text-slate-600">
      {trial ? t("billing.trialEnds") : t("billing.renews")} <LocalTime value={trial ? plan.trialEnd! : plan.currentPeriodEnd} />
    </p>
  );
}

export default function AccountBilling({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { accounts, loadFailed, paymentsOn } = loaderData;
  return (
    <Container size="md">
      <title>{t("accountBilling.title") + " · " + t("app.name")}</title>
      <PageHeader title={t("accountBilling.title")} description={t(paymentsOn ? "accountBilling.description" : "accountBilling.descriptionNoPortal")} />
      <SettingsNav />
      <BillingNotice />
      {loadFailed ? (
        <LoadError message={t("accountBilling.loadError")} />
      ) : accounts.length === 0 ? (
        <EmptyState title={t("accountBilling.emptyTitle")} description={t("accountBilling.emptyBody")} />
      ) : (
        <ul className="space-y-4" data-testid="billing-accounts">
          {accounts.map((account) => (
            <li key={account.community.slug}>
              <Card>
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0 space-y-1">
                    <h2 className="text-base font-semibold text-slate-900">
                      {account.member ? (
                        <Link to={`/c/${account.community.slug}/billing`} className={cx("rounded hover:text-brand-700 hover:underline", focusRing)}>
                          <Name>{account.community.name}</Name>
                        </Link>
                      ) : (
                        <Name>{account.community.name}</Name>
                      )}
                    </h2>
                    <div className="flex flex-wrap items-center gap-2">
                      <span className="text-sm font-medium text-slate-800">
                        <Name>{account.plan.tierName ?? t(`tiers.${account.plan.tier}`)}</Name>
                      </span>
                      <PlanStatusBadge plan={account.plan} />
                      {account.member ? null : <Badge>{t("accountBilling.notMember")}</Badge>}
                    </div>
                    <PlanDate plan={account.plan} />
                  </div>
                  {paymentsOn ? (
                    <Form method="post">
                      <input type="hidden" name="community" value={account.community.slug} />
                      <SubmitButton intent="portal" variant="secondary" size="sm" aria-label={t("accountBilling.manageFor", { name: account.community.name })}>
                        {t("billing.manage")}
                      </SubmitButton>
                    </Form>
                  ) : null}
                </div>
                {!account.member && planIsLive(account.plan.status) && !account.plan.cancelAtPeriodEnd ? (
                  <p className="mt-3 text-sm text-amber-900" data-testid="renews-after-leaving">
                    {t(paymentsOn ? "accountBilling.renewsAfterLeaving" : "accountBilling.renewsAfterLeavingNoPortal")}
                  </p>
                ) : null}
              </Card>
            </li>
          ))}
        </ul>
      )}
      {loaderData.nextCursor || !loaderData.isFirstPage ? (
        <div className="mt-6 flex justify-between">
          {!loaderData.isFirstPage ? (
            <ButtonLink to={ACCOUNT_BILLING_PATH} variant="secondary">
              {t("common.firstPage")}
            </ButtonLink>
          ) : (
            <span />
          )}
          {loaderData.nextCursor ? (
            <ButtonLink to={`${ACCOUNT_BILLING_PATH}?cursor=${encodeURIComponent(loaderData.nextCursor)}`} variant="secondary">
              {t("common.nextPage")}
            </ButtonLink>
          ) : null}
        </div>
      ) : null}
      {accounts.length > 0 ? (
        <p className="mt-4 text-sm text-slate-600">{paymentsOn ? t(accounts.some((a) => !a.member) ? "accountBilling.manageHelp" : "billing.manageHelp") : t("billing.manageUnavailable")}</p>
      ) : null}
    </Container>
  );
}
