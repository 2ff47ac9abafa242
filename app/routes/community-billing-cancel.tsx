// Stripe's cancel_url (ADR 037): the buyer left checkout; nothing was charged and nothing changed.
// A member gets the community's page with the way back to their plan; someone who started from the
// pricing page without being a member yet (buying is joining) gets the same words and the way back
// to that pricing page — not a 404 (issue 14 finding 5).
import { useTranslation } from "react-i18next";
import type { Route } from "./+types/community-billing-cancel";
import { CommunityHeader } from "../components/community-header";
import { Alert, ButtonLink, Container } from "../components/ui";
import { cloudflareContext } from "../context";
import { openMemberPage } from "../lib/community.server";
import { attempt } from "../lib/use-case.server";
import { readPricingPage } from "../../workers/billing/catalog";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  try {
    const { answer } = await openMemberPage(cf, request, params.slug);
    return { member: true as const, ...answer };
  } catch (refused) {
    // not a member: the published pricing page is what they came from (and all they may see of a
    // private community); unpublished, the same answer as before — sign in, or the 404 page
    const pricing = await attempt(() => readPricingPage(cf.env, params.slug));
    if (!cf.user || !pricing.ok) throw refused;
    return { member: false as const, community: { name: pricing.data.community.name, slug: pricing.data.community.slug } };
  }
}

export default function BillingCancel({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { community } = loaderData;
  return (
    <>
      <title>{t("billing.cancel.title") + " · " + community.name}</title>
      {loaderData.member ? <CommunityHeader community={loaderData.community} viewer={loaderData.viewer} /> : null}
      <Container size="md" className="space-y-6">
        <Alert tone="info" title={t("billing.cancel.title")}>
          <p data-testid="checkout-cancelled">{t(loaderData.member ? "billing.cancel.body" : "billing.cancel.bodyVisitor")}</p>
        </Alert>
        <div className="flex flex-wrap gap-3">
          {loaderData.member ? (
            <>
              <ButtonLink to={`/c/${community.slug}/billing`}>{t("billing.cancel.tryAgain")}</ButtonLink>
              <ButtonLink to={`/c/${community.slug}`} variant="secondary">
                {t("billing.backToCommunity")}
              </ButtonLink>
            </>
          ) : (
            <ButtonLink to={`/c/${community.slug}/pricing`}>{t("billing.cancel.backToPricing")}</ButtonLink>
          )}
        </div>
      </Container>
    </>
  );
}
