import { useTranslation } from "react-i18next";
import { Name, NamedText } from "../components/name";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community";
import { CommunityHeader } from "../components/community-header";
import { ConfirmAction, FormError, SubmitButton } from "../components/form-bits";
import { SpaceList } from "../components/space-list";
import { Alert, Avatar, Badge, ButtonLink, Card, CardTitle, Container, EmptyState, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage } from "../lib/community.server";
import { loadSpaces, loadTiers } from "../lib/discussions.server";
import { activeMember, assertMemberRole, openCommunity, openMembership, requireReaderUser } from "../../workers/domain/access";
import { communityPermissions } from "../../workers/domain/permissions";
import { joinCommunity, leaveCommunity, listMembers } from "../../workers/domain/communities/members";
import { assertRole, openSpace } from "../../workers/domain/discussions/access";
import { archiveSpace, createSpace, reorderSpaces, setFollowing } from "../../workers/domain/discussions/spaces";
import { CreateSpaceBody, ReorderSpacesBody } from "../../workers/domain/schemas/discussions";
import { parseInput } from "../../workers/lib/validation";
import { attempt, inCommunity } from "../lib/use-case.server";
import { fail, field, textFields, unknownIntent } from "../lib/forms.server";
import { billingPath, moneyText } from "../lib/billing";
import { paidPlanOf, paymentsConfigured, type PaidPlan } from "../lib/billing.server";
import { buyerStandingOf } from "../../workers/billing/checkout";
import { useFormatDate } from "../components/local-time";
import { tierKeys, type Tier } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  // admins pick the members of a private space from this list too
  const { answer, extra } = await openCommunityPage(cf, params.slug, (access) => {
    const member = activeMember(access);
    const canManage = communityPermissions(access).includes("space.create");
    return Promise.all([
      loadTiers(cf, access),
      member ? listMembers(cf.env, member, { limit: canManage ? 100 : 12 }) : null,
      loadSpaces(cf, access),
      canManage,
      // what Leave would end that they paid for; the question is advice, so a failed read only leaves it out
      member && member.role !== "owner" ? paidPlanOf(cf.env, member).catch(() => null) : null,
      // the plans' trial line only where checkout would give one (payments on, no refusal, none before)
      buyerStandingOf(cf.env, access.community.id, access.membership, cf.user?.id ?? null)
        .then((standing) => standing.trialEligible)
        .catch(() => false),
    ]);
  });
  const [tiers, members, spaces, canManage, paidPlan, trialEligible] = extra;
  return {
    ...answer,
    locale: findLocale(request, cf.user),
    signedIn: Boolean(cf.user),
    tiers,
    members: members ? members.items.slice(0, 12) : [],
    moreMembers: Boolean(members && (members.next || members.items.length > 12)),
    candidates: canManage && members ? members.items.map((m) => m.user) : [],
    spaces: spaces.filter((e) => !e.space.archived && (e.space.kind === "discussion" || e.space.kind === "chat")),
    paidPlan,
    paymentsOn: paymentsConfigured(cf.env),
    trialEligible,
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  if (!cf.user) throw redirect(`/login?next=${encodeURIComponent(`/c/${params.slug}`)}`);
  const form = await request.formData();
  const intent = field(form, "intent");
  const { env, reader } = cf;
  if (intent === "join") {
    const result = await attempt(async () => joinCommunity(env, await openCommunity(env, params.slug, reader), (await requireReaderUser(reader)).id));
    if (!result.ok) return fail(result);
    return redirect(`/c/${params.slug}?joined=1`);
  }
  if (intent === "create-space") {
    const values = {
      name: field(form, "name"),
      description: field(form, "description"),
      minTier: field(form, "minTier"),
      kind: field(form, "kind") === "chat" ? "chat" : "discussion",
      private: form.get("private") === "on" ? "on" : "",
    };
    const memberIds = textFields(form, "memberIds").filter(Boolean);
    const body: Record<string, unknown> = {
      name: values.name,
      description: values.description,
      kind: values.kind,
      minTier: tierKeys.includes(values.minTier as (typeof tierKeys)[number]) ? values.minTier : "free",
      private: values.private === "on",
    };
    if (values.private === "on" && memberIds.length) body.memberIds = memberIds;
    const result = await attempt(async () =>
      createSpace(env, assertMemberRole(await openMembership(env, params.slug, reader), "admin"), parseInput(CreateSpaceBody, body)),
    );
    if (!result.ok) return fail(result, { ...values, intent });
    return redirect(`/c/${params.slug}?space=created#spaces`);
  }
  if (intent === "follow" || intent === "unfollow") {
    const spaceId = field(form, "spaceId");
    const result = await attempt(async () => setFollowing(env, inCommunity(await openSpace(env, spaceId, reader, "write"), params.slug), intent === "follow"));
    if (!result.ok) return fail(result, { intent });
    return { ok: true as const, intent };
  }
  if (intent === "move-up" || intent === "move-down") {
    const spaceId = field(form, "spaceId");
    const order = textFields(form, "order");
    const from = order.indexOf(spaceId);
    const to = intent === "move-up" ? from - 1 : from + 1;
    if (from === -1 || to < 0 || to >= order.length) return null;
    [order[from], order[to]] = [order[to], order[from]];
    const result = await attempt(async () => {
      const access = assertMemberRole(await openMembership(env, params.slug, reader), "admin");
      return reorderSpaces(env, access, parseInput(ReorderSpacesBody, { spaceIds: order }).spaceIds);
    });
    if (!result.ok) return fail(result, { intent });
    return { ok: true as const, intent };
  }
  if (intent === "archive") {
    const spaceId = field(form, "spaceId");
    const result = await attempt(async () => archiveSpace(env, assertRole(inCommunity(await openSpace(env, spaceId, reader, "write"), params.slug), "admin")));
    if (!result.ok) return fail(result, { intent });
    return redirect(`/c/${params.slug}?space=archived#spaces`);
  }
  if (intent === "leave") {
    const result = await attempt(async () => leaveCommunity(env, await openMembership(env, params.slug, reader)));
    if (!result.ok) return fail(result);
    return redirect("/");
  }
  return unknownIntent();
}

export default function CommunityHome({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, tiers, members, locale, signedIn, spaces, candidates } = loaderData;
  const canManage = viewer?.permissions.includes("space.create") ?? false;
  const failure = actionData && "errors" in actionData ? actionData : null;
  const spaceNotice = params.get("space");
  const welcome = Boolean(viewer && (params.get("welcome") || params.get("joined")));
  const joinable = !viewer && community.visibility === "public";
  return (
    <>
      <title>{community.name + " · " + t("app.name")}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          {failure && !failure.values?.intent ? <FormError errors={failure.errors} /> : null}
          {spaceNotice === "created" || spaceNotice === "archived" ? <Alert tone="success">{t(`spaces.notice.${spaceNotice}`)}</Alert> : null}
          {params.get("transferred") ? <Alert tone="success">{t("community.transferred")}</Alert> : null}
          {welcome ? (
            <Alert tone="success" title={<NamedText k="community.welcomeTitle" names={{ name: community.name }} />}>
              {t("community.welcomeBody")}
            </Alert>
          ) : null}
          {viewer && spaces ? (
            <SpaceList slug={community.slug} spaces={spaces} tiers={tiers} canManage={canManage} isMember candidates={candidates} failure={failure?.values?.intent ? failure : null} paymentsOn={loaderData.paymentsOn} />
          ) : null}
          <Card>
            <CardTitle>{t("community.about")}</CardTitle>
            {community.description ? (
              <p className="whitespace-pre-line text-base leading-7 text-slate-700">{community.description}</p>
            ) : (
              <p className="text-sm text-slate-600">{t("community.noDescription")}</p>
            )}
            {joinable ? (
              <div className="mt-6 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-5">
                {signedIn ? (
                  <Form method="post">
                    <SubmitButton intent="join" size="lg">
                      {t("community.join")}
                    </SubmitButton>
                  </Form>
                ) : (
                  <ButtonLink to={`/signup?next=${encodeURIComponent(`/c/${community.slug}`)}`} size="lg">
                    {t("community.signUpToJoin")}
                  </ButtonLink>
                )}
                <p className="text-sm text-slate-600">{t("community.joinFree")}</p>
              </div>
            ) : null}
            {!viewer && community.visibility === "private" ? (
              <Alert className="mt-6">{t("community.privateNote")}</Alert>
            ) : null}
          </Card>

          {!viewer && spaces && spaces.length > 0 ? (
            <SpaceList slug={community.slug} spaces={spaces} tiers={tiers} canManage={false} isMember={false} candidates={[]} failure={null} paymentsOn={loaderData.paymentsOn} />
          ) : null}
          <section id="tiers" aria-labelledby="tiers-heading" className="scroll-mt-24">
            <h2 id="tiers-heading" className="mb-3 text-base font-semibold text-slate-900">
              {t("community.tiers")}
            </h2>
            {tiers.length === 0 ? (
              <EmptyState title={t("community.noTiers")} />
            ) : (
              <ul className="grid gap-4 sm:grid-cols-3">
                {tiers.map((tier) => (
                  <li key={tier.key} className="flex flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
                    <div className="flex items-center justify-between gap-2">
                      <h3 className="font-semibold text-slate-900">
                        <Name>{tier.name}</Name>
                      </h3>
                      {viewer?.tier === tier.key ? <Badge tone="brand">{t("community.yourTier")}</Badge> : null}
                    </div>
                    {tier.description ? <p className="mt-1 text-sm text-slate-600">{tier.description}</p> : null}
                    <div className="mt-4 space-y-1">
                      {tier.key === "free" ? (
                        <p className="text-2xl font-bold text-slate-900">{t("community.free")}</p>
                      ) : tier.prices.every((p) => !p.published) ? (
                        // a price Stripe does not have cannot be bought: it is not shown as one
                        <p className="text-sm text-slate-600">{t("community.notOnSale")}</p>
                      ) : (
                        tier.prices.filter((p) => p.published).map((p) => (
                          <p key={p.interval + p.currency} className="text-slate-900">
                            <span className="text-xl font-bold">{moneyText(p, locale)}</span>{" "}
                            <span className="text-sm text-slate-600">{t(`community.per.${p.interval}`)}</span>
                          </p>
                        ))
                      )}
                    </div>
                    {tier.trialDays > 0 && loaderData.trialEligible ? <p className="mt-2 text-sm text-emerald-800">{t("community.trial", { count: tier.trialDays })}</p> : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>

        <aside className="space-y-6">
          {viewer ? (
            <Card>
              <CardTitle
                action={
                  loaderData.moreMembers ? (
                    <TextLink to={`/c/${community.slug}/members`} className="text-sm">
                      {t("community.seeAll")}
                    </TextLink>
                  ) : null
                }
              >
                {t("community.members")}
              </CardTitle>
              {members.length === 0 ? (
                <p className="text-sm text-slate-600">{t("community.noMembers")}</p>
              ) : (
                <ul className="space-y-3">
                  {members.map((m) => (
                    <li key={m.user.id} className="flex items-center gap-3">
                      <Avatar name={m.user.name} src={m.user.avatarUrl} size="sm" />
                      <div className="min-w-0 flex-1">
                        <p className="truncate text-sm font-medium text-slate-900">
                          <Name>{m.user.name}</Name>
                        </p>
                        <p className="text-xs text-slate-600">{t("community.joined", { date: formatDay(m.joinedAt) })}</p>
                      </div>
                      {m.role !== "member" ? <Badge tone="brand">{t(`roles.${m.role}`)}</Badge> : null}
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          ) : null}
          {viewer ? (
            <Card>
              <CardTitle
                description={t("community.membershipBody", { tier: tiers.find((x) => x.key === viewer.tier)?.name ?? t(`tiers.${viewer.tier}`) })}
                action={
                  <TextLink to={`/c/${community.slug}/billing`} className="text-sm">
                    {t("billing.planLink")}
                  </TextLink>
                }
              >
                {t("community.membership")}
              </CardTitle>
              {viewer.role === "owner" ? (
                <p className="text-sm text-slate-600">{t("community.ownerCannotLeave")}</p>
              ) : (
                <LeaveCommunity
                  name={community.name}
                  slug={community.slug}
                  invitedOnly={community.visibility === "private"}
                  plan={loaderData.paidPlan}
                  tierName={(key) => tiers.find((x) => x.key === key)?.name ?? t(`tiers.${key}`)}
                />
              )}
            </Card>
          ) : null}
        </aside>
      </Container>
    </>
  );
}

/**
 * Leave, asked first (issue 14 finding 6): access ends at once; a paying member reads that their
 * plan stops renewing (the departure handler sets it to cancel at period end) and that the period
 * they paid for is not kept, a member on a free trial that it ends unpaid and is not given again,
 * each with the way to their plan page; a private community needs a new invite to come back.
 */
function LeaveCommunity({ name, slug, invitedOnly, plan, tierName }: { name: string; slug: string; invitedOnly: boolean; plan: PaidPlan | null; tierName: (key: string) => string }) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  // a trial has paid nothing yet: it says so, and that the trial is not given twice
  const key = plan ? (plan.trialing ? "community.leaveTrial" : "community.leavePaid") : null;
  const paid = plan
    ? plan.periodEnd
      ? t(plan.renewing ? key! : `${key}Ending`, { tier: tierName(plan.tier), date: formatDay(plan.periodEnd) })
      : t(`${key}NoDate`, { tier: tierName(plan.tier) })
    : null;
  return (
    <ConfirmAction
      label={t("community.leave")}
      question={t("community.leaveQuestion", { name })}
      intent="leave"
      confirm={t("community.leaveConfirm")}
      note={
        paid || invitedOnly ? (
          <>
            {paid ? (
              <p data-testid="leave-paid-plan">
                {paid}{" "}
                <TextLink to={billingPath(slug)}>{t("community.leaveSeePlan")}</TextLink>
              </p>
            ) : null}
            {invitedOnly ? <p>{t("community.leaveInviteOnly")}</p> : null}
          </>
        ) : undefined
      }
    />
  );
}
