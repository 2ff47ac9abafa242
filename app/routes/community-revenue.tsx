// The owner's revenue (issue 14 point 6): MRR by tier and currency, subscribers by status, new
// and churned this month, the upgrade rate and the last 6 months — all from stored subscription
// rows (GET …/revenue), never live Stripe calls. Owner only, as the route answers.
import { useTranslation } from "react-i18next";
import type { Route } from "./+types/community-revenue";
import { CommunityHeader } from "../components/community-header";
import { RevenueChart } from "../components/billing";
import { ButtonLink, Card, CardTitle, Container, EmptyState, LoadError } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage } from "../lib/community.server";
import { attempt, pageRead } from "../lib/use-case.server";
import { readRevenue } from "../../workers/billing/revenue";
import { revenueOwner } from "../../workers/billing/reads";
import { requireSignedIn } from "../lib/forms.server";
import { moneyText, type RevenueAnswer } from "../lib/billing";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { answer, access } = await openCommunityPage(cf, params.slug);
  // the owner's alone, refused as the route refuses (ADR 037): 403 for another member, 404 for anyone else
  await pageRead(async () => revenueOwner(access));
  const revenue = await attempt(() => readRevenue(cf.env, access.community.id));
  return { ...answer, locale: findLocale(request, cf.user), revenue: revenue.ok ? revenue.data : null };
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-xl border border-slate-200 p-4">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-bold text-slate-900" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

export default function Revenue({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { community, viewer, revenue, locale } = loaderData;
  const subscribers = revenue ? revenue.subscribers.active + revenue.subscribers.trialing + revenue.subscribers.pastDue : 0;
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  // a chart per currency revenue was earned in; with none yet, the community's own currency's
  const charts = revenue ? revenue.historyByCurrency.filter((c) => c.history.some((h) => h.mrr > 0)) : [];
  return (
    <>
      <title>{t("revenue.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="space-y-6">
        {!revenue ? (
          <LoadError message={t("revenue.loadError")} />
        ) : subscribers === 0 && charts.length === 0 ? (
          <EmptyState
            title={t("revenue.emptyTitle")}
            description={t("revenue.emptyBody")}
            action={<ButtonLink to={`/c/${community.slug}/settings/billing`}>{t("revenue.emptyAction")}</ButtonLink>}
          />
        ) : (
          <>
            <Card>
              <CardTitle description={t("revenue.mrrDescription")}>{t("revenue.mrr")}</CardTitle>
              {revenue.mrr.length === 0 ? (
                <p className="text-sm text-slate-600">{t("revenue.noMrr")}</p>
              ) : (
                <table className="w-full text-left text-sm">
                  <thead>
                    <tr className="border-b border-slate-200 text-slate-600">
                      <th scope="col" className="py-2 font-medium">{t("revenue.tier")}</th>
                      <th scope="col" className="py-2 text-right font-medium">{t("revenue.perMonth")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {revenue.mrr.map((row) => (
                      <tr key={row.tier + row.currency} className="border-b border-slate-100">
                        <td className="py-2 text-slate-900">{t(`tiers.${row.tier}`)}</td>
                        <td className="py-2 text-right font-semibold text-slate-900" data-testid={`mrr-${row.tier}-${row.currency}`}>
                          {moneyText(row, locale)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card>
              <CardTitle>{t("revenue.subscribers")}</CardTitle>
              <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3">
                <Figure label={t("revenue.active")} value={number(revenue.subscribers.active)} testId="revenue-active" />
                <Figure label={t("revenue.trialing")} value={number(revenue.subscribers.trialing)} />
                <Figure label={t("revenue.pastDue")} value={number(revenue.subscribers.pastDue)} />
                <Figure label={t("revenue.newThisMonth")} value={number(revenue.newThisMonth)} />
                <Figure label={t("revenue.churnedThisMonth")} value={number(revenue.churnedThisMonth)} />
                <Figure label={t("revenue.upgradeRate")} value={revenue.upgradeRate === null ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(revenue.upgradeRate)} />
              </dl>
            </Card>
            <Card>
              <CardTitle description={t("revenue.historyDescription")}>{t("revenue.history")}</CardTitle>
              <div className="grid gap-6 md:grid-cols-2">
                {(charts.length > 0 ? charts : revenue.historyByCurrency.slice(0, 1)).map((series) => (
                  <RevenueChart key={series.currency} history={series.history} currency={series.currency} locale={locale} />
                ))}
              </div>
            </Card>
          </>
        )}
      </Container>
    </>
  );
}
