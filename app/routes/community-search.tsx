import { useTranslation } from "react-i18next";
import { Name } from "../components/name";
import { ItemBoundary } from "../components/item-boundary";
import { Form, Link } from "react-router";
import type { Route } from "./+types/community-search";
import { CommunityHeader } from "../components/community-header";
import { ChatIcon, HashIcon, SearchIcon, TimeStamp } from "../components/discussions";
import { FormError } from "../components/form-bits";
import { Badge, Button, ButtonLink, Container, EmptyState, LoadError, PageHeader, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { apiErrors } from "../lib/forms.server";
import { openCommunityPage } from "../lib/community.server";
import { attempt, refuseBadCursor } from "../lib/use-case.server";
import { searchPosts } from "../../workers/domain/search/search-posts";
import { loadSpaces } from "../lib/discussions.server";
import type { List, SearchHit } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const url = new URL(request.url);
  const q = (url.searchParams.get("q") ?? "").trim().slice(0, 200);
  const cursor = url.searchParams.get("cursor");
  // the space names are read beside the community's view; a search without words needs none
  const { answer, extra: spaces } = await openCommunityPage(cf, params.slug, q ? (access) => loadSpaces(cf, access) : undefined);
  const base = { ...answer, locale: findLocale(request, cf.user), q, cursor };
  if (!q) return { ...base, hits: [] as SearchHit[], nextCursor: null, spaceNames: {} as Record<string, string>, errors: null, loadFailed: false };
  const result = refuseBadCursor(await attempt(() => searchPosts(cf.env, cf.reader, { slug: params.slug, q, limit: 20, cursor, ip: request.headers.get("CF-Connecting-IP") ?? "unknown" })));
  const spaceNames = Object.fromEntries((spaces ?? []).map((e) => [e.space.id, e.space.name]));
  // a query the API refuses is the reader's to fix (a field error), and too many searches a minute
  // theirs to wait out (429, said in their language by FormError); any other failure is an error state
  if (!result.ok) {
    const errors = apiErrors(result);
    return { ...base, hits: [] as SearchHit[], nextCursor: null, spaceNames, errors, loadFailed: !errors.fields.q && result.status !== 429 };
  }
  return { ...base, hits: result.data.items, nextCursor: result.data.nextCursor, spaceNames, errors: null, loadFailed: false };
}

export default function CommunitySearch({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const { community, viewer, q, hits, nextCursor, cursor, spaceNames, locale, errors, loadFailed } = loaderData;
  return (
    <>
      <title>{(q ? t("search.titleFor", { q }) : t("search.title")) + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md">
        <PageHeader title={t("search.title")} description={t("search.description", { name: community.name })} />
        <Form method="get" role="search" className="mb-6 flex gap-2">
          <label htmlFor="search-q" className="sr-only">
            {t("search.label")}
          </label>
          <div className="relative min-w-0 flex-1">
            <SearchIcon className="pointer-events-none absolute left-3 top-1/2 size-4 -translate-y-1/2 text-slate-500" />
            <input
              id="search-q"
              type="search"
              name="q"
              defaultValue={q}
              placeholder={t("search.placeholder")}
              maxLength={200}
              className="block h-10 w-full rounded-lg border border-slate-300 bg-white pl-9 pr-3 text-sm text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-600/30"
            />
          </div>
          <Button type="submit">{t("search.submit")}</Button>
        </Form>
        {loadFailed ? null : <FormError errors={errors} />}
        {loadFailed ? (
          <LoadError message={t("loadError.search")} />
        ) : !q ? (
          <EmptyState icon={<SearchIcon className="size-6" />} title={t("search.startTitle")} description={t("search.startBody")} />
        ) : hits.length === 0 && !errors ? (
          <EmptyState icon={<SearchIcon className="size-6" />} title={t("search.noResultsTitle", { q })} description={t("search.noResultsBody")} />
        ) : (
          <>
            <p className="mb-3 text-sm text-slate-600" aria-live="polite">
              {t("search.resultsFor", { q })}
            </p>
            <ol className="space-y-3">
              {hits.map((hit) => {
                // the API answers each hit's page (a chat message: its channel); posts and comments keep their anchors
                const href = hit.type === "message" ? hit.url : `/c/${community.slug}/posts/${hit.postId}${hit.type === "comment" ? `#comment-${hit.id}` : ""}`;
                return (
                  <li key={`${hit.type}-${hit.id}`} className="relative rounded-2xl border border-slate-200 bg-white p-4 shadow-sm hover:shadow-md sm:p-5">
                    <ItemBoundary>
                      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
                        <Badge tone={hit.type === "post" ? "brand" : "neutral"} className="gap-1">
                          {hit.type === "post" ? <HashIcon className="size-3" /> : <ChatIcon className="size-3" />}
                          {t(`search.type.${hit.type}`)}
                        </Badge>
                        {spaceNames[hit.spaceId] ? <span>{spaceNames[hit.spaceId]}</span> : null}
                        {hit.author ? (
                          <>
                            <span aria-hidden="true">·</span>
                            <Name>{hit.author.name}</Name>
                          </>
                        ) : null}
                        <span aria-hidden="true">·</span>
                        <TimeStamp value={hit.createdAt} withTime={false} />
                      </div>
                      <h2 className="mt-1.5 text-base font-semibold text-slate-900">
                        <Link to={href} className={cx("rounded after:absolute after:inset-0 after:rounded-2xl hover:text-brand-700", focusRing)}>
                          {hit.type === "comment" ? t("search.commentOn", { title: hit.title }) : hit.title}
                        </Link>
                      </h2>
                      {/* the snippet is escaped by the server except for its <mark> highlights */}
                      <p className="search-snippet mt-1 text-sm leading-6 text-slate-700" dangerouslySetInnerHTML={{ __html: hit.snippet }} />
                    </ItemBoundary>
                  </li>
                );
              })}
            </ol>
            {nextCursor || cursor ? (
              <div className="mt-6 flex flex-wrap justify-center gap-3">
                {cursor ? (
                  <ButtonLink to={`?${new URLSearchParams({ q })}`} variant="ghost" size="sm">
                    {t("common.firstPage")}
                  </ButtonLink>
                ) : null}
                {nextCursor ? (
                  <ButtonLink to={`?${new URLSearchParams({ q, cursor: nextCursor })}`} variant="secondary">
                    {t("search.more")}
                  </ButtonLink>
                ) : null}
              </div>
            ) : null}
          </>
        )}
      </Container>
    </>
  );
}
