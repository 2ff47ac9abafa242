// Every community's dead letters (issue 8), for the platform's operators (OPERATOR_EMAILS): the
// API answers 404 to anyone else, and so does this page (the same scope check).
import { useTranslation } from "react-i18next";
import { useActionData } from "react-router";
import type { Route } from "./+types/platform-dead-letters";
import { DeadLetterList } from "../components/dead-letter-list";
import { Container, PageHeader } from "../components/ui";
import { cloudflareContext } from "../context";
import { loadDeadLetters, retryDeadLetterAction } from "../lib/dead-letters.server";
import { requireSignedIn } from "../lib/forms.server";
import { revalidateAfterRace } from "../lib/revalidate";
import { platformDeadLetterScope } from "../../workers/domain/events/dead-letters";


export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  return { page: await loadDeadLetters(cf, request, () => platformDeadLetterScope(cf.env, cf.reader)) };
}

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  return retryDeadLetterAction(cf, request, () => platformDeadLetterScope(cf.env, cf.reader), "/platform/dead-letters");
}

export default function PlatformDeadLetters({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { page } = loaderData;
  return (
    <Container size="md">
      <title>{t("deadLetters.platformTitle") + " · " + t("app.name")}</title>
      <PageHeader
        eyebrow={t("deadLetters.platformEyebrow")}
        title={t("deadLetters.platformTitle")}
        description={<span aria-live="polite">{page.total > 0 ? t("deadLetters.summary", { count: page.total }) : t("deadLetters.platformIntro")}</span>}
      />
      <DeadLetterList page={page} failure={actionData?.errors} showCommunity />
    </Container>
  );
}
