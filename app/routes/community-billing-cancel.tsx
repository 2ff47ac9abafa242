// Stripe's cancel_url (ADR 037): the buyer left checkout; nothing was charged and nothing changed.
import { useTranslation } from "react-i18next";
import type { Route } from "./+types/community-billing-cancel";
import { CommunityHeader } from "../components/community-header";
import { Alert, ButtonLink, Container } from "../components/ui";
import { cloudflareContext } from "../context";
import { openMemberPage } from "../lib/community.server";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const { answer } = await openMemberPage(cf, request, params.slug);
  return answer;
}

export default function BillingCancel({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { community, viewer } = loaderData;
  return (
    <>
      <title>{t("billing.cancel.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <Alert tone="info" title={t("billing.cancel.title")}>
          <p data-testid="checkout-cancelled">{t("billing.cancel.body")}</p>
        </Alert>
        <div className="flex flex-wrap gap-3">
          <ButtonLink to={`/c/${community.slug}/billing`}>{t("billing.cancel.tryAgain")}</ButtonLink>
          <ButtonLink to={`/c/${community.slug}`} variant="secondary">
            {t("billing.backToCommunity")}
          </ButtonLink>
        </div>
      </Container>
    </>
  );
}
