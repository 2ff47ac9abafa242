import { Fragment } from "react";
import { Name } from "../components/name";
import { ItemBoundary } from "../components/item-boundary";
import { useTranslation } from "react-i18next";
import { Form, data, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-space";
import { CommunityHeader } from "../components/community-header";
import { Breadcrumbs, ChatIcon, HashIcon, LockIcon, MarkdownEditor, PostCard, UpgradePrompt } from "../components/discussions";
import { FormError, SubmitButton } from "../components/form-bits";
import { SearchBox, SpaceNav } from "../components/space-nav";
import { Alert, Badge, ButtonLink, Card, Container, EmptyState, Field, LoadError, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage } from "../lib/community.server";
import { attempt, inCommunity, refuseBadCursor } from "../lib/use-case.server";
import { openSpace } from "../../workers/domain/discussions/access";
import { createPost, readFeed } from "../../workers/domain/discussions/posts";
import { setFollowing } from "../../workers/domain/discussions/spaces";
import { CreatePostBody } from "../../workers/domain/schemas/discussions";
import { parseInput } from "../../workers/lib/validation";
import { loadSpaces, loadTiers, tierLabel, toggleReaction, writtenBody } from "../lib/discussions.server";
import { PICKS_FIELD, readPicks, withUnreachable } from "../lib/mentions";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { createOnce, newFormKey } from "../lib/idempotency.server";
import { FORM_KEY_FIELD } from "../lib/form-key";
import { type FeedPost, type PostPage } from "../lib/types";
import { chatAction, linkedSeq, loadChat, type ChatPage } from "../lib/chat.server";
import { ChatChannelView } from "../components/chat";
import { paymentsConfigured, upgradeOffer, type UpgradeOffer } from "../lib/billing.server";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const cursor = new URL(request.url).searchParams.get("cursor");
  // the feed checks its own access in the batch that reads it, so it starts beside the community
  const feed = attempt(() => readFeed(cf.env, params.spaceId, cf.reader, { limit: 20, cursor }, (work) => cf.ctx.waitUntil(work)));
  const { access, answer, extra: spaces } = await openCommunityPage(cf, params.slug, (access) => loadSpaces(cf, access));
  const page = await feed;
  const entry = spaces.find((e) => e.space.id === params.spaceId);
  if (!entry) throw new Response(null, { status: 404 });
  const base = {
    ...answer,
    locale: findLocale(request, cf.user),
    // the composer's idempotency key: drawn per render, so a post after a published one is new
    formKey: newFormKey(),
    spaces,
    space: entry.space,
    tierName: null as string | null,
    offer: null as UpgradeOffer | null,
    // without a Stripe key the upgrade prompt asks the admins instead (nothing can be bought)
    paymentsOn: paymentsConfigured(cf.env),
    chat: null as ChatPage | null,
  };
  const empty = { posts: [] as FeedPost[], pinned: [] as FeedPost[], nextCursor: null as string | null, cursor: null as string | null, loadFailed: false };
  if (entry.space.kind === "chat" && !entry.locked) {
    // a link to one message (search, notifications) opens the history around it
    const chat = await loadChat(cf, entry.space.id, answer.viewer?.permissions ?? [], linkedSeq(new URL(request.url)));
    if (chat.ok) return { ...base, ...empty, locked: false, chat: chat.data };
    if (chat.error.code !== "tier_required") return { ...base, ...empty, locked: false, loadFailed: true };
  }
  if (entry.locked || (!page.ok && page.error.code === "tier_required")) {
    const [tiers, offer] = await Promise.all([loadTiers(cf, access), answer.viewer ? upgradeOffer(cf, params.slug, entry.space.minTier) : null]);
    // the space is known to the member but above their tier: the upgrade prompt, as a 403 (as the API answers)
    return data({ ...base, tierName: tierLabel(tiers, entry.space.minTier), offer, ...empty, locked: true }, { status: 403 });
  }
  // a malformed ?cursor= is the API's 400, told only to a reader who may read the space (a space
  // above the reader's tier is its upgrade prompt first, whatever the link's cursor)
  refuseBadCursor(page);
  // the space exists (it is in the list): a failing page of posts is an error state, not a 404
  if (!page.ok) return { ...base, ...empty, cursor, locked: false, loadFailed: true };
  // your own posts are never news to you
  const me = cf.user?.id;
  const items = page.data.items.map((p) => (p.author.id === me ? { ...p, isNew: false } : p));
  return { ...base, locked: false, posts: items, pinned: page.data.pinned, nextCursor: page.data.nextCursor, cursor, loadFailed: false };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const chat = await chatAction(cf, params.slug, params.spaceId, intent, form);
  if (chat) return chat.ok ? { ok: true as const, intent } : fail(chat);
  const space = async () => inCommunity(await openSpace(cf.env, params.spaceId, cf.reader, "write"), params.slug);
  if (intent === "post") {
    const title = field(form, "title");
    const written = writtenBody(form);
    const result = await createOnce(
      cf,
      request,
      form,
      "pst",
      (id) => attempt(async () => createPost(cf.env, await space(), parseInput(CreatePostBody, { title, ...written.api }), { id })),
      (created) => withUnreachable(`/c/${params.slug}/posts/${created.post.id}?created=1`, created),
    );
    if (!result.ok) return fail(result, { title, ...written.values });
    return redirect(result.data.location);
  }
  if (intent === "follow" || intent === "unfollow") {
    const result = await attempt(async () => setFollowing(cf.env, await space(), intent === "follow"));
    if (!result.ok) return fail(result);
    return { ok: true as const, intent };
  }
  if (intent === "react") {
    const result = await toggleReaction(cf, params.slug, form);
    if (!result.ok) return fail(result);
    return { ok: true as const, intent };
  }
  return unknownIntent();
}

export default function SpaceFeed({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, space, spaces, locale, locked, posts, pinned, nextCursor, cursor, tierName, loadFailed, chat } = loaderData;
  const failure = actionData && "errors" in actionData ? actionData : null;
  const errors = failure?.errors;
  const values = failure?.values;
  const isModerator = viewer?.permissions.includes("content.moderate") ?? false;
  // the admins who make spaces also configure them (the settings page asks the same)
  const canConfigure = viewer?.permissions.includes("space.create") ?? false;
  const firstOld = posts.findIndex((p) => !p.isNew);
  // the divider goes before the first older post, when newer ones stand above it
  const feedGroups = posts.some((p) => p.isNew) && firstOld > 0 ? [posts.slice(0, firstOld), posts.slice(firstOld)] : [posts];
  const tierText = tierName ?? t(`tiers.${space.minTier}`);
  const composerOpen = Boolean(errors) || (posts.length === 0 && pinned.length === 0);
  return (
    <>
      <title>{space.name + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_16rem]">
        <div className="min-w-0 space-y-6">
          {params.get("deleted") ? <Alert tone="success">{t("post.deletedNotice")}</Alert> : null}
          <div>
            <Breadcrumbs items={[{ to: `/c/${community.slug}`, label: community.name }, { label: space.name }]} />
            <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
              <div className="min-w-0">
                <h1 className="flex items-center gap-2 text-2xl font-bold tracking-tight text-slate-900">
                  {locked ? (
                    <LockIcon className="size-6 shrink-0 text-amber-800" />
                  ) : space.kind === "chat" ? (
                    <ChatIcon className="size-6 shrink-0 text-slate-500" />
                  ) : (
                    <HashIcon className="size-6 shrink-0 text-slate-500" />
                  )}
                  <Name className="min-w-0">{space.name}</Name>
                </h1>
                {space.description ? <p className="mt-1.5 max-w-2xl text-sm leading-6 text-slate-600">{space.description}</p> : null}
                <div className="mt-2 flex flex-wrap gap-2">
                  {space.minTier !== "free" ? <Badge tone="warning">{t("spaces.tierBadge", { tier: tierText })}</Badge> : null}
                  {space.private ? <Badge>{t("spaces.private")}</Badge> : null}
                </div>
              </div>
              <div className="flex shrink-0 flex-wrap items-center gap-2">
                {canConfigure ? (
                  <ButtonLink to={`/c/${community.slug}/s/${space.id}/settings`} variant="secondary" size="sm">
                    {t("spaceSettings.link")}
                  </ButtonLink>
                ) : null}
                {!locked && viewer && space.kind !== "chat" ? (
                  <Form method="post" preventScrollReset>
                    <SubmitButton intent={space.following ? "unfollow" : "follow"} variant={space.following ? "secondary" : "primary"} size="sm" aria-pressed={Boolean(space.following)}>
                      {space.following ? t("spaces.following") : t("spaces.follow")}
                    </SubmitButton>
                  </Form>
                ) : null}
              </div>
            </div>
          </div>

          {locked ? (
            <UpgradePrompt slug={community.slug} tierName={tierText} spaceName={space.name} offer={loaderData.offer} paymentsOn={loaderData.paymentsOn} />
          ) : chat ? (
            // keyed: moving to another chat space, or to a link to another message, starts from that history
            <ChatChannelView key={`${space.id}:${chat.history.focusSeq ?? ""}`} spaceId={space.id} spaceName={space.name} history={chat.history} viewer={chat.viewer} />
          ) : space.kind === "chat" ? (
            <LoadError message={t("chat.loadError")} />
          ) : (
            <>
              <FormError errors={errors && !errors.fields.title && !errors.fields.body ? errors : undefined} />
              {viewer && !cursor ? (
                <details id="composer" className="group rounded-2xl border border-slate-200 bg-white shadow-sm open:p-5 sm:open:p-6" open={composerOpen}>
                  <summary
                    className={cx(
                      "flex cursor-pointer list-none items-center gap-3 rounded-2xl p-4 text-sm text-slate-600 hover:bg-slate-50 group-open:mb-4 group-open:p-0 group-open:hover:bg-transparent [&::-webkit-details-marker]:hidden",
                      focusRing,
                    )}
                  >
                    <span className="flex-1 rounded-lg border border-slate-300 bg-white px-3 py-2 group-open:hidden">{t("composer.placeholder")}</span>
                    <span className="hidden text-base font-semibold text-slate-900 group-open:inline">{t("composer.title")}</span>
                    <span className={cx("rounded-lg bg-brand-600 px-3 py-2 font-semibold text-white group-open:hidden")}>{t("composer.start")}</span>
                  </summary>
                  <Form method="post" className="space-y-4" noValidate>
                    <input type="hidden" name={FORM_KEY_FIELD} value={loaderData.formKey} />
                    <Field label={t("composer.postTitle")} name="title" required maxLength={200} defaultValue={values?.title ?? ""} error={errors?.fields.title} autoComplete="off" />
                    <MarkdownEditor spaceId={space.id} mentions={{ spaceId: space.id, picks: readPicks(values?.[PICKS_FIELD]) }} label={t("composer.body")} name="body" defaultValue={values?.body ?? ""} error={errors?.fields.body} rows={8} placeholder={t("composer.bodyPlaceholder")} />
                    <div className="flex justify-end">
                      <SubmitButton intent="post" pendingLabel={t("composer.publishing")}>
                        {t("composer.publish")}
                      </SubmitButton>
                    </div>
                  </Form>
                </details>
              ) : null}

              {pinned.length > 0 ? (
                <section aria-labelledby="pinned-heading" className="space-y-3">
                  <h2 id="pinned-heading" className="text-sm font-semibold uppercase tracking-wide text-slate-600">
                    {t("spaces.pinned")}
                  </h2>
                  <ul className="space-y-3">
                    {pinned.map((post) => (
                      <li key={post.id}>
                        <ItemBoundary><PostCard post={post} slug={community.slug} locale={locale} showStatus={isModerator} /></ItemBoundary>
                      </li>
                    ))}
                  </ul>
                </section>
              ) : null}

              <section aria-labelledby="feed-heading" className="space-y-3">
                <h2 id="feed-heading" className={pinned.length > 0 ? "text-sm font-semibold uppercase tracking-wide text-slate-600" : "sr-only"}>
                  {t("spaces.latest")}
                </h2>
                {loadFailed ? (
                  <LoadError message={t("loadError.posts")} />
                ) : posts.length === 0 && pinned.length === 0 ? (
                  <EmptyState
                    title={t("spaces.emptyTitle")}
                    description={viewer ? t("spaces.emptyBody") : t("spaces.emptyBodyGuest")}
                    icon={<HashIcon className="size-6" />}
                  />
                ) : posts.length === 0 ? (
                  <p className="rounded-2xl border border-dashed border-slate-300 bg-white px-4 py-8 text-center text-sm text-slate-600">{t("spaces.noMore")}</p>
                ) : (
                  // posts newer than the last visit and the older ones are two lists with the divider
                  // between them: a <ul> may hold only list items, so the divider cannot sit inside one
                  feedGroups.map((group, g) => (
                    <Fragment key={group[0].id}>
                      {g > 0 ? (
                        <div role="separator" aria-label={t("spaces.newSince")} className="flex items-center gap-3 py-1 text-xs font-semibold uppercase tracking-wide text-brand-700">
                          <span className="h-px flex-1 bg-brand-100" />
                          <span aria-hidden="true">↑</span>
                          <span className="whitespace-nowrap">{t("spaces.newSince")}</span>
                          <span className="h-px flex-1 bg-brand-100" />
                        </div>
                      ) : null}
                      <ul className="space-y-3">
                        {group.map((post) => (
                          <li key={post.id}>
                            <ItemBoundary><PostCard post={post} slug={community.slug} locale={locale} showStatus={isModerator} /></ItemBoundary>
                          </li>
                        ))}
                      </ul>
                    </Fragment>
                  ))
                )}
                {nextCursor || cursor ? (
                  <div className="flex flex-wrap items-center justify-center gap-3 pt-2">
                    {cursor ? (
                      <ButtonLink to={`/c/${community.slug}/s/${space.id}`} variant="ghost" size="sm">
                        {t("spaces.backToNewest")}
                      </ButtonLink>
                    ) : null}
                    {nextCursor ? (
                      <ButtonLink to={`?${new URLSearchParams({ cursor: nextCursor })}`} variant="secondary">
                        {t("spaces.loadMore")}
                      </ButtonLink>
                    ) : null}
                  </div>
                ) : null}
              </section>
            </>
          )}
        </div>
        <aside className="space-y-4">
          <SpaceNav slug={community.slug} spaces={spaces} currentId={space.id} />
          {viewer ? <SearchBox slug={community.slug} /> : null}
        </aside>
      </Container>
    </>
  );
}
