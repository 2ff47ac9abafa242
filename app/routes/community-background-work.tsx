// A community's dead letters (issue 8): background work about this community — search indexing,
// mentions, follower notices, mail — that failed every attempt, for its admins to send back.
import { useTranslation } from "react-i18next";
import { useActionData } from "react-router";
import type { Route } from "./+types/community-background-work";
import { CommunityHeader } from "../components/community-header";
import { DeadLetterList } from "../components/dead-letter-list";
import { Container, TextLink } from "../components/ui";
import { cloudflareContext, type CloudflareContext } from "../context";
import { communityDeadLetterScope } from "../../workers/domain/events/dead-letters";
import { loadCommunity, requirePermission } from "../lib/community.server";
import { loadDeadLetters, retryDeadLetterAction } from "../lib/dead-letters.server";
import { requireSignedIn } from "../lib/forms.server";
import { revalidateAfterRace } from "../lib/revalidate";

const scopeOf = (cf: CloudflareContext, slug: string) => () => communityDeadLetterScope(cf.env, slug, cf.reader);

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const answer = await loadCommunity(cf, params.slug);
  requirePermission(answer, "background-work.view");
  return { ...answer, page: await loadDeadLetters(cf, request, scopeOf(cf, params.slug)) };
}

// a 409 or 404 means the data moved: show what is true now (lib/revalidate.ts)
export const shouldRevalidate = revalidateAfterRace;

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  return retryDeadLetterAction(cf, request, scopeOf(cf, params.slug), `/c/${params.slug}/settings/background-work`);
}

export default function CommunityBackgroundWork({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const { community, viewer, page } = loaderData;
  return (
    <>
      <title>{t("deadLetters.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <div>
          <TextLink to={`/c/${community.slug}/settings`} className="text-sm">
            {t("deadLetters.backToSettings")}
          </TextLink>
          <h2 className="mt-3 text-xl font-bold tracking-tight text-slate-900">{t("deadLetters.title")}</h2>
          <p className="mt-1 text-sm text-slate-600" aria-live="polite">
            {page.total > 0 ? t("deadLetters.summary", { count: page.total }) : t("deadLetters.intro")}
          </p>
        </div>
        <DeadLetterList page={page} failure={actionData?.errors} slug={community.slug} />
      </Container>
    </>
  );
}
