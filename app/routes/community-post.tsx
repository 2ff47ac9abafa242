import { useState, type ReactNode } from "react";
import { Name, NamedText } from "../components/name";
import { ItemBoundary } from "../components/item-boundary";
import { useTranslation } from "react-i18next";
import { Form, Link, data, redirect, useActionData, useLocation, useSearchParams } from "react-router";
import type { Route } from "./+types/community-post";
import { CommunityHeader } from "../components/community-header";
import { Breadcrumbs, useDismissable, MarkdownEditor, PostBadges, ReactionBar, RichText, TimeStamp, UnreachableNotice, UpgradePrompt } from "../components/discussions";
import { ConfirmAction, FormError, SubmitButton, type ClientFormErrors } from "../components/form-bits";
import { SearchBox, SpaceNav } from "../components/space-nav";
import { Alert, Avatar, Badge, ButtonLink, Container, EmptyState, Field, LoadError, buttonClass, cx, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { openCommunityPage } from "../lib/community.server";
import { paymentsConfigured } from "../lib/billing.server";
import { attempt, inCommunity, refuseBadCursor } from "../lib/use-case.server";
import { notFound } from "../../workers/lib/errors";
import { openComment, openPost } from "../../workers/domain/discussions/access";
import { createComment, deleteComment, readComments, setCommentHidden, updateComment } from "../../workers/domain/discussions/comments";
import { deletePost, readPost, setPostSwitch, updatePost } from "../../workers/domain/discussions/posts";
import { CreateCommentBody, HideBody, LockBody, PinBody, UpdateCommentBody, UpdatePostBody } from "../../workers/domain/schemas/discussions";
import { parseInput } from "../../workers/lib/validation";
import { loadSpaces, loadTiers, tierLabel, toggleReaction, writtenBody } from "../lib/discussions.server";
import { mentionsForEditing, PICKS_FIELD, readPicks, UNREACHABLE_PARAM, unreachableNames, withUnreachable } from "../lib/mentions";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { createOnce, newFormKey } from "../lib/idempotency.server";
import { FORM_KEY_FIELD } from "../lib/form-key";
import { type Comment, type List } from "../lib/types";

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const url = new URL(request.url);
  const cursor = url.searchParams.get("cursor");
  // two independent chains side by side: the community's access, then its view beside the space
  // list (the slowest read, bench/RESULTS.md); and the post, then its body beside its comments. The
  // post's community is compared with the URL's once both are in, before anything is shown.
  const community = openCommunityPage(cf, params.slug, (access) => loadSpaces(cf, access));
  const post = attempt(() => openPost(cf.env, params.postId, cf.reader, "read"));
  const body = post.then((opened) =>
    opened.ok
      ? Promise.all([readPost(cf.env, opened.data), attempt(() => readComments(cf.env, opened.data, { limit: 100, cursor })).then(refuseBadCursor)])
      : null,
  );
  body.catch(() => undefined); // a 404 below may leave it unread: not an unhandled rejection
  const [{ access, answer, extra: spaces }, opened] = await Promise.all([community, post]);
  // the comment forms' idempotency key, drawn per render (each reply form adds its parent's id)
  const base = { ...answer, locale: findLocale(request, cf.user), meId: cf.user?.id ?? null, formKey: newFormKey() };
  if (!opened.ok) {
    if (opened.error.code === "tier_required") {
      const required = String(opened.error.requiredTier ?? "");
      const tiers = await loadTiers(cf, access);
      // the upgrade prompt, with the API's 403 for a post above the member's tier
      return data({ ...base, spaces, locked: true as const, tierName: tierLabel(tiers, required) ?? required, paymentsOn: paymentsConfigured(cf.env) }, { status: 403 });
    }
    throw new Response(null, { status: opened.status === 400 ? 404 : opened.status });
  }
  // a post belongs to the community in the URL, or the URL is wrong
  if (opened.data.post.communityId !== access.community.id) throw new Response(null, { status: 404 });
  const [read, comments] = (await body)!;
  return {
    ...base,
    spaces,
    locked: false as const,
    post: read.post,
    html: read.html,
    permissions: read.viewer.permissions,
    space: spaces.find((e) => e.space.id === read.post.spaceId)?.space ?? null,
    comments: comments.ok ? comments.data.items : [],
    commentsFailed: !comments.ok,
    nextCursor: comments.ok ? comments.data.nextCursor : null,
    cursor,
    editing: url.searchParams.get("edit") === "1",
    editComment: url.searchParams.get("editComment"),
    // the comment whose reply form the server renders open (the "Reply" link without JavaScript)
    replyTo: url.searchParams.get(REPLY_PARAM),
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const here = `/c/${params.slug}/posts/${params.postId}`;
  const { env, reader } = cf;
  const post = async () => inCommunity(await openPost(env, params.postId, reader, "write"), params.slug);
  // a comment acted on from this page is one of this post's comments
  const comment = async (id: string) => {
    const found = inCommunity(await openComment(env, id, reader, "write"), params.slug);
    if (found.post.id !== params.postId) throw notFound();
    return found;
  };
  const flag = field(form, "value") === "1";
  switch (intent) {
    case "comment": {
      const written = writtenBody(form);
      const parentId = field(form, "parentId");
      const body = parentId ? { ...written.api, parentId } : written.api;
      const result = await createOnce(
        cf,
        request,
        form,
        "cmt",
        (id) => attempt(async () => createComment(env, await post(), parseInput(CreateCommentBody, body), { id })),
        (created) => withUnreachable(`${here}#comment-${created.comment.id}`, created),
      );
      if (!result.ok) return fail(result, { ...written.values, parentId, intent });
      return redirect(result.data.location);
    }
    case "edit-post": {
      const title = field(form, "title");
      const written = writtenBody(form);
      const result = await attempt(async () => updatePost(env, await post(), parseInput(UpdatePostBody, { title, ...written.api })));
      if (!result.ok) return fail(result, { title, ...written.values, intent });
      return redirect(withUnreachable(`${here}?saved=1`, result.data));
    }
    case "delete-post": {
      // back to the post's own space, as the database has it
      const result = await attempt(async () => {
        const access = await post();
        await deletePost(env, access);
        return access.space.id;
      });
      if (!result.ok) return fail(result, { intent });
      return redirect(`/c/${params.slug}/s/${result.data}?deleted=1`);
    }
    case "pin":
    case "lock":
    case "hide": {
      const key = ({ pin: "pinned", lock: "locked", hide: "hidden" } as const)[intent];
      const schema = { pin: PinBody, lock: LockBody, hide: HideBody }[intent];
      const result = await attempt(async () => {
        const body: Partial<Record<typeof key, boolean>> = parseInput(schema, { [key]: flag });
        return setPostSwitch(env, await post(), key, body[key] ?? true);
      });
      if (!result.ok) return fail(result, { intent });
      return redirect(`${here}?done=${intent}${flag ? "" : "-undo"}`);
    }
    case "edit-comment": {
      const commentId = field(form, "commentId");
      const written = writtenBody(form);
      const result = await attempt(async () => {
        const { body, mentionIds } = parseInput(UpdateCommentBody, written.api);
        return updateComment(env, await comment(commentId), body, mentionIds);
      });
      if (!result.ok) return fail(result, { ...written.values, commentId, intent });
      return redirect(withUnreachable(`${here}#comment-${commentId}`, result.data));
    }
    case "delete-comment": {
      const commentId = field(form, "commentId");
      const result = await attempt(async () => deleteComment(env, await comment(commentId)));
      if (!result.ok) return fail(result, { intent, commentId });
      return redirect(`${here}?done=comment-deleted#comments`);
    }
    case "hide-comment": {
      // POST /comments/{id}/hide with { hidden: flag }: the same body schema and moderator check
      const commentId = field(form, "commentId");
      const result = await attempt(async () => {
        const { hidden } = parseInput(HideBody, { hidden: flag });
        return setCommentHidden(env, await comment(commentId), hidden ?? true);
      });
      if (!result.ok) return fail(result, { intent, commentId });
      return redirect(`${here}?done=comment-${flag ? "hidden" : "shown"}#comment-${commentId}`);
    }
    case "react": {
      const result = await toggleReaction(cf, params.slug, form);
      if (!result.ok) return fail(result, { intent });
      return { ok: true as const };
    }
    default:
      return unknownIntent();
  }
}

type CommentNode = Comment & { replies: Comment[] };

function thread(comments: Comment[]): CommentNode[] {
  const roots = new Map<string, CommentNode>();
  const orphans: Comment[] = [];
  for (const c of comments) if (!c.rootId && !c.parentId) roots.set(c.id, { ...c, replies: [] });
  for (const c of comments) {
    if (roots.has(c.id)) continue;
    const root = roots.get(c.rootId ?? c.parentId ?? "");
    if (root) root.replies.push(c);
    else orphans.push(c);
  }
  // replies whose thread starts on another page still show, as their own entries
  return [...roots.values(), ...orphans.map((c) => ({ ...c, replies: [] }))];
}

type Failure = { ok: false; errors: ClientFormErrors; values?: Record<string, string> };

function CommentForm({ spaceId, parentId, formKey, label, failure, autoFocus, submitLabel, compact }: { spaceId: string; parentId?: string; formKey: string; label: string; failure: Failure | null; autoFocus?: boolean; submitLabel: string; compact?: boolean }) {
  const mine = failure?.values?.intent === "comment" && (failure.values.parentId ?? "") === (parentId ?? "");
  return (
    <Form method="post" className="space-y-3" preventScrollReset>
      {parentId ? <input type="hidden" name="parentId" value={parentId} /> : null}
      {/* one key per form on the page: a reply and a top-level comment are different creates */}
      <input type="hidden" name={FORM_KEY_FIELD} value={parentId ? `${formKey}.${parentId}` : formKey} />
      {mine ? <FormError errors={failure?.errors.fields.body ? undefined : failure?.errors} unshown={["parentId"]} /> : null}
      <MarkdownEditor spaceId={spaceId} mentions={{ spaceId, picks: mine ? readPicks(failure?.values?.[PICKS_FIELD]) : [] }} label={label} labelHidden name="body" rows={compact ? 3 : 4} defaultValue={mine ? failure?.values?.body : ""} error={mine ? failure?.errors.fields.body : undefined} autoFocus={autoFocus} placeholder={label} required />
      <div className="flex justify-end">
        <SubmitButton intent="comment" size="sm">
          {submitLabel}
        </SubmitButton>
      </div>
    </Form>
  );
}

/** The query parameter that opens a comment's reply form on the server: `?reply=<commentId>`. */
const REPLY_PARAM = "reply";

/** Where the page's own links keep the reader: the comments page they are on (`cursor`), nothing else. */
function pageQuery(cursor: string | null, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...(cursor ? { cursor } : {}), ...extra }).toString();
  return query ? `?${query}` : "?";
}

function CommentItem({
  comment,
  spaceId,
  canReply,
  editing,
  replyOpen,
  visit,
  cursor,
  formKey,
  failure,
}: {
  comment: Comment;
  spaceId: string;
  canReply: boolean;
  editing: boolean;
  /** the server renders this comment's reply form open (`?reply=` names it, or posting the reply failed) */
  replyOpen: boolean;
  /** the page's location.key: a new visit folds an opened reply form away again */
  visit: string;
  cursor: string | null;
  formKey: string;
  failure: Failure | null;
}) {
  const { t } = useTranslation();
  const may = (action: Comment["viewer"]["permissions"][number]) => comment.viewer.permissions.includes(action);
  const flattened = comment.replyTo && comment.replyTo.id !== comment.rootId ? comment.replyTo : null;
  const replyFailed = failure?.values?.intent === "comment" && failure.values.parentId === comment.id;
  // The reply form (a Markdown editor) exists only while open: twenty hidden editors were most of
  // the post page's server render (bench/RESULTS.md). Without JavaScript "Reply" is a link the
  // server answers with the form open; once hydrated it opens in place.
  const [reply, setReply] = useState({ open: replyOpen || replyFailed, visit });
  let open = reply.open;
  if (reply.visit !== visit) {
    // a new location means the reply was posted (or abandoned): back to what the server says
    open = replyOpen || replyFailed;
    setReply({ open, visit });
  }
  const replyFormId = `comment-${comment.id}-reply`;
  const editFailed = failure?.values?.intent === "edit-comment" && failure.values.commentId === comment.id;
  // the body as the editor shows it (mentions as names): only for the one comment being edited
  const stored = editing && !editFailed ? mentionsForEditing(comment.body, comment.mentions) : null;
  if (comment.deleted) {
    return (
      <div id={`comment-${comment.id}`} className="scroll-mt-24 p-3 text-sm italic text-slate-600 sm:p-4">
        {t("comments.deleted")}
      </div>
    );
  }
  return (
    <article id={`comment-${comment.id}`} className="scroll-mt-24 rounded-xl p-3 target:bg-brand-50/60 target:ring-2 target:ring-brand-600/40 sm:p-4" aria-labelledby={`comment-${comment.id}-author`}>
      <div className="flex gap-3">
        <Avatar name={comment.author.name} src={comment.author.avatarUrl} size="sm" />
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-sm">
            <span id={`comment-${comment.id}-author`} className="max-w-full truncate font-semibold text-slate-900" title={comment.author.name}>
              <Name>{comment.author.name}</Name>
            </span>
            <a href={`#comment-${comment.id}`} className={cx("rounded text-slate-600 hover:underline", focusRing)}>
              <TimeStamp value={comment.createdAt} />
            </a>
            {comment.edited ? <span className="text-slate-600">{t("post.edited")}</span> : null}
            {comment.moderationStatus === "pending_review" ? <Badge tone="warning">{t("post.pendingReview")}</Badge> : null}
            {comment.hidden ? <Badge tone="danger">{t("post.hiddenBadge")}</Badge> : null}
          </div>
          {flattened ? (
            <p className="mt-0.5 text-xs text-slate-600">
              <a href={`#comment-${flattened.id}`} className={cx("rounded hover:underline", focusRing)}>
                <NamedText k="comments.replyingTo" names={{ name: flattened.author.name }} />
              </a>
            </p>
          ) : null}
          {editing || editFailed ? (
            <Form method="post" className="mt-2 space-y-3">
              <input type="hidden" name="commentId" value={comment.id} />
              {editFailed ? <FormError errors={failure?.errors.fields.body ? undefined : failure?.errors} /> : null}
              <MarkdownEditor spaceId={spaceId} mentions={{ spaceId, picks: stored ? stored.picks : readPicks(failure?.values?.[PICKS_FIELD]) }} label={t("comments.editLabel")} labelHidden name="body" rows={4} defaultValue={stored ? stored.text : failure?.values?.body} error={editFailed ? failure?.errors.fields.body : undefined} autoFocus />
              <div className="flex justify-end gap-2">
                <ButtonLink to={`?#comment-${comment.id}`} variant="ghost" size="sm" preventScrollReset>
                  {t("common.cancel")}
                </ButtonLink>
                <SubmitButton intent="edit-comment" size="sm">
                  {t("common.save")}
                </SubmitButton>
              </div>
            </Form>
          ) : (
            <RichText html={comment.html} size="sm" className="mt-1" scope={comment.id} />
          )}
          <div className="mt-2 flex flex-wrap items-center gap-1">
            <ReactionBar target="comment" id={comment.id} reactions={comment.reactions} disabled={!may("comment.react")} />
            {canReply ? (
              <Link
                to={`${pageQuery(cursor, open ? {} : { [REPLY_PARAM]: comment.id })}#comment-${comment.id}`}
                preventScrollReset
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // a new tab still gets the link
                  e.preventDefault();
                  setReply({ open: !open, visit });
                }}
                aria-expanded={open}
                aria-controls={open ? replyFormId : undefined}
                className={buttonClass("ghost", "sm")}
                aria-label={t("comments.replyTo", { name: comment.author.name })}
              >
                {t("comments.reply")}
              </Link>
            ) : null}
            {may("comment.edit") && !editing ? (
              <ButtonLink to={`?editComment=${comment.id}#comment-${comment.id}`} variant="ghost" size="sm" preventScrollReset>
                {t("post.edit")}
              </ButtonLink>
            ) : null}
            {may("comment.hide") ? (
              <Form method="post">
                <input type="hidden" name="commentId" value={comment.id} />
                <input type="hidden" name="value" value={comment.hidden ? "0" : "1"} />
                <SubmitButton intent="hide-comment" variant="ghost" size="sm">
                  {comment.hidden ? t("comments.show") : t("comments.hide")}
                </SubmitButton>
              </Form>
            ) : null}
            {may("comment.delete") ? (
              <ConfirmAction label={t("post.delete")} question={t("comments.deleteQuestion")} intent="delete-comment" confirm={t("post.confirmDelete")}>
                <input type="hidden" name="commentId" value={comment.id} />
              </ConfirmAction>
            ) : null}
          </div>
          {canReply && open ? (
            <div id={replyFormId} className="mt-3 w-full">
              <CommentForm spaceId={spaceId} parentId={comment.id} formKey={formKey} label={t("comments.replyTo", { name: comment.author.name })} failure={failure} submitLabel={t("comments.postReply")} compact autoFocus />
            </div>
          ) : null}
        </div>
      </div>
    </article>
  );
}

export default function PostPage({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const location = useLocation();
  const { community, viewer, spaces } = loaderData;
  const failure = actionData && "errors" in actionData ? (actionData as Failure) : null;
  const manage = useDismissable();
  if (loaderData.locked) {
    return (
      <>
        <title>{t("spaces.lockedTitleGeneric") + " · " + community.name}</title>
        <CommunityHeader community={community} viewer={viewer} />
        <Container size="md">
          <UpgradePrompt slug={community.slug} tierName={loaderData.tierName} paymentsOn={loaderData.paymentsOn} />
        </Container>
      </>
    );
  }
  const { post, html, space, comments, commentsFailed, meId, formKey, editing, editComment, replyTo, nextCursor, cursor, permissions } = loaderData;
  const may = (action: (typeof permissions)[number]) => permissions.includes(action);
  const canComment = may("comment.create");
  const threads = thread(comments);
  const done = params.get("done");
  const editFailed = failure?.values?.intent === "edit-post";
  const topFailure = failure && !["comment", "edit-post", "edit-comment"].includes(failure.values?.intent ?? "") ? failure : null;
  const stored = editing && !editFailed ? mentionsForEditing(post.body, post.mentions) : null;
  // after a write: the members it mentioned who cannot read this space, named as the page shows them now
  const unreachable = unreachableNames(params.get(UNREACHABLE_PARAM), [...(post.mentions ?? []), ...comments.flatMap((c) => c.mentions ?? [])]);
  return (
    <>
      <title>{post.title + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_16rem]">
        <div className="min-w-0 space-y-6">
          <Breadcrumbs
            items={[
              { to: `/c/${community.slug}`, label: community.name },
              ...(space ? [{ to: `/c/${community.slug}/s/${space.id}`, label: space.name }] : []),
              { label: post.title },
            ]}
          />
          {topFailure ? <FormError errors={topFailure.errors} /> : null}
          {params.get("created") ? <Alert tone="success">{t("post.createdNotice")}</Alert> : null}
          <UnreachableNotice names={unreachable} />
          {params.get("saved") ? <Alert tone="success">{t("common.saved")}</Alert> : null}
          {done ? <Alert tone="success">{t(`post.done.${done}`, { defaultValue: t("common.saved") })}</Alert> : null}

          <article className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-8" aria-labelledby="post-title">
            <header className="flex items-start gap-3">
              <Avatar name={post.author.name} src={post.author.avatarUrl} />
              <div className="min-w-0 flex-1">
                <p className="truncate font-semibold text-slate-900" title={post.author.name}>
                  <Name>{post.author.name}</Name>
                </p>
                <p className="text-sm text-slate-600">
                  <TimeStamp value={post.createdAt} />
                  {post.edited ? (
                    <span title={post.editedAt ?? undefined}>
                      {" · "}
                      {t("post.edited")}
                    </span>
                  ) : null}
                </p>
              </div>
              {may("post.edit") || may("post.delete") || may("post.pin") ? (
                <details ref={manage} className="group relative">
                  <summary className={cx(buttonClass("secondary", "sm"), "cursor-pointer list-none [&::-webkit-details-marker]:hidden")}>{t("post.actions")}</summary>
                  <div className="absolute right-0 z-20 mt-2 w-56 space-y-0.5 rounded-xl border border-slate-200 bg-white p-1.5 shadow-lg">
                    {may("post.edit") ? (
                      <Link to="?edit=1" className={cx("block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100", focusRing)}>
                        {t("post.edit")}
                      </Link>
                    ) : null}
                    {may("post.pin") ? (
                      <>
                        <ModAction intent="pin" on={!post.pinned} label={post.pinned ? t("post.unpin") : t("post.pin")} />
                        <ModAction intent="lock" on={!post.locked} label={post.locked ? t("post.unlock") : t("post.lock")} />
                        <ModAction intent="hide" on={!post.hidden} label={post.hidden ? t("post.unhide") : t("post.hide")} />
                      </>
                    ) : null}
                    <div className="border-t border-slate-100 pt-1">
                      <details>
                        <summary className={cx("block cursor-pointer list-none rounded-md px-3 py-2 text-sm text-red-700 hover:bg-red-50 [&::-webkit-details-marker]:hidden", focusRing)}>{t("post.delete")}</summary>
                        <Form method="post" className="space-y-2 px-3 pb-2 pt-1">
                          <p className="text-sm text-slate-700">{t("post.deleteQuestion")}</p>
                          <SubmitButton intent="delete-post" variant="danger" size="sm">
                            {t("post.confirmDelete")}
                          </SubmitButton>
                        </Form>
                      </details>
                    </div>
                  </div>
                </details>
              ) : null}
            </header>

            <div className="mt-4 flex flex-wrap gap-2">
              <PostBadges post={post} showStatus />
            </div>

            {(editing && may("post.edit")) || editFailed ? (
              <Form method="post" className="mt-4 space-y-4" noValidate>
                <FormError errors={failure?.errors.fields.title || failure?.errors.fields.body ? undefined : editFailed ? failure?.errors : undefined} />
                <Field label={t("composer.postTitle")} name="title" required maxLength={200} defaultValue={editFailed ? failure?.values?.title : post.title} error={editFailed ? failure?.errors.fields.title : undefined} />
                <MarkdownEditor spaceId={post.spaceId} mentions={{ spaceId: post.spaceId, picks: stored ? stored.picks : readPicks(failure?.values?.[PICKS_FIELD]) }} label={t("composer.body")} name="body" rows={12} defaultValue={stored ? stored.text : failure?.values?.body} error={editFailed ? failure?.errors.fields.body : undefined} />
                <div className="flex justify-end gap-2">
                  <ButtonLink to="." variant="ghost">
                    {t("common.cancel")}
                  </ButtonLink>
                  <SubmitButton intent="edit-post">{t("common.saveChanges")}</SubmitButton>
                </div>
              </Form>
            ) : (
              <>
                <h1 id="post-title" className="mt-3 text-balance break-words text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">
                  {post.title}
                </h1>
                <RichText html={html} className="mt-4" />
              </>
            )}
            <div className="mt-6 border-t border-slate-100 pt-4">
              <ReactionBar target="post" id={post.id} reactions={post.reactions} disabled={!may("post.react")} />
            </div>
          </article>

          <section id="comments" aria-labelledby="comments-heading" className="scroll-mt-24 space-y-4">
            <h2 id="comments-heading" className="text-lg font-semibold text-slate-900">
              {t("comments.heading", { count: post.commentCount })}
            </h2>
            {post.locked ? (
              <Alert tone="warning" title={t("post.lockedNoticeTitle")}>
                {may("post.lock") ? t("post.lockedNoticeModerator") : t("post.lockedNotice")}
              </Alert>
            ) : null}
            {!viewer ? (
              <Alert>
                {meId ? (
                  <Link to={`/c/${community.slug}`} className={cx("rounded font-semibold underline underline-offset-2", focusRing)}>
                    {t("comments.joinToComment")}
                  </Link>
                ) : (
                  <Link to={`/login?next=${encodeURIComponent(`/c/${community.slug}/posts/${post.id}`)}`} className={cx("rounded font-semibold underline underline-offset-2", focusRing)}>
                    {t("comments.signInToComment")}
                  </Link>
                )}
              </Alert>
            ) : null}
            {canComment ? (
              <div className="rounded-2xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
                <CommentForm spaceId={post.spaceId} formKey={formKey} label={t("comments.add")} failure={failure} submitLabel={t("comments.post")} />
              </div>
            ) : null}
            {commentsFailed ? (
              <LoadError message={t("loadError.comments")} />
            ) : threads.length === 0 ? (
              canComment ? (
                <p className="px-1 text-sm text-slate-600">{t("comments.emptyBody")}</p>
              ) : post.locked ? null : (
                <EmptyState title={t("comments.emptyTitle")} />
              )
            ) : (
              <ol className="space-y-3">
                {threads.map((root) => (
                  <li key={root.id} className="rounded-2xl border border-slate-200 bg-white shadow-sm">
                    <ItemBoundary><CommentItem comment={root} spaceId={post.spaceId} canReply={canComment} editing={editComment === root.id} replyOpen={replyTo === root.id} visit={location.key} cursor={cursor} formKey={formKey} failure={failure} /></ItemBoundary>
                    {root.replies.length > 0 ? (
                      <ol className="ml-6 space-y-1 border-l-2 border-slate-100 pb-2 pl-2 sm:ml-10 sm:pl-3" aria-label={t("comments.repliesTo", { name: root.author.name })}>
                        {root.replies.map((reply) => (
                          <li key={reply.id}>
                            <ItemBoundary><CommentItem comment={reply} spaceId={post.spaceId} canReply={canComment} editing={editComment === reply.id} replyOpen={replyTo === reply.id} visit={location.key} cursor={cursor} formKey={formKey} failure={failure} /></ItemBoundary>
                          </li>
                        ))}
                      </ol>
                    ) : null}
                  </li>
                ))}
              </ol>
            )}
            {nextCursor || cursor ? (
              <div className="flex flex-wrap justify-center gap-3">
                {cursor ? (
                  <ButtonLink to="." variant="ghost" size="sm">
                    {t("comments.firstPage")}
                  </ButtonLink>
                ) : null}
                {nextCursor ? (
                  <ButtonLink to={`?${new URLSearchParams({ cursor: nextCursor })}#comments`} variant="secondary" size="sm">
                    {t("comments.more")}
                  </ButtonLink>
                ) : null}
              </div>
            ) : null}
          </section>
        </div>
        <aside className="space-y-4">
          <SpaceNav slug={community.slug} spaces={spaces} currentId={post.spaceId} />
          {viewer ? <SearchBox slug={community.slug} /> : null}
        </aside>
      </Container>
    </>
  );
}

function ModAction({ intent, on, label }: { intent: string; on: boolean; label: string }) {
  return (
    <Form method="post">
      <input type="hidden" name="value" value={on ? "1" : "0"} />
      <button type="submit" name="intent" value={intent} className={cx("block w-full rounded-md px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-100", focusRing)}>
        {label}
      </button>
    </Form>
  );
}
