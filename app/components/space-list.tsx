// The community home's list of discussion and chat spaces: what is new, what is locked above the reader's
// tier, a follow toggle, and for admins the order, archiving and a form for a new space (a
// discussion or a chat space).
import { useTranslation } from "react-i18next";
import { Name } from "./name";
import { Form, Link, useFetcher, useLocation } from "react-router";
import type { ClientFormErrors } from "./form-bits";
import { ConfirmAction, FormError, SubmitButton } from "./form-bits";
import { ChatIcon, HashIcon, LockIcon, useDismissable } from "./discussions";
import { Badge, ButtonLink, Checkbox, EmptyState, Field, SelectField, TextareaField, buttonClass, cx, focusRing } from "./ui";
import type { Person, SpaceEntry, Tier, TierKey } from "../lib/types";
import { tierKeys } from "../lib/types";

type Failure = { errors: ClientFormErrors; values?: Record<string, string> } | null;

function tierName(tiers: Tier[], key: TierKey, fallback: (k: string) => string) {
  return tiers.find((t) => t.key === key)?.name ?? fallback(key);
}

function FollowToggle({ spaceId, following, name }: { spaceId: string; following: boolean; name: string }) {
  const { t } = useTranslation();
  const fetcher = useFetcher();
  const pending = fetcher.formData?.get("intent");
  const on = pending ? pending === "follow" : following;
  return (
    <fetcher.Form method="post" preventScrollReset>
      <input type="hidden" name="spaceId" value={spaceId} />
      <button
        type="submit"
        name="intent"
        value={on ? "unfollow" : "follow"}
        aria-pressed={on}
        aria-label={on ? t("spaces.unfollowLabel", { name }) : t("spaces.followLabel", { name })}
        className={cx(buttonClass(on ? "secondary" : "ghost", "sm"), !on && "ring-1 ring-inset ring-slate-300")}
      >
        {on ? t("spaces.following") : t("spaces.follow")}
      </button>
    </fetcher.Form>
  );
}

export function SpaceList({
  slug,
  spaces,
  tiers,
  canManage,
  isMember,
  candidates,
  failure,
  paymentsOn = true,
}: {
  slug: string;
  spaces: SpaceEntry[];
  tiers: Tier[];
  /** may create and reorder spaces (viewer.permissions "space.create") */
  canManage: boolean;
  isMember: boolean;
  candidates: Person[];
  failure: Failure;
  /** payments are configured (`paymentsConfigured`): a locked space's link offers to upgrade; else it only leads to the plans */
  paymentsOn?: boolean;
}) {
  const { t } = useTranslation();
  const location = useLocation();
  const order = spaces.map((e) => e.space.id);
  const createFailed = failure?.values?.intent === "create-space";
  const values = createFailed ? failure?.values : undefined;
  const errors = createFailed ? failure?.errors : undefined;
  const label = (k: string) => t(`tiers.${k}`);
  return (
    <section id="spaces" aria-labelledby="spaces-heading" className="scroll-mt-24">
      <div className="mb-3 flex items-center justify-between gap-3">
        <h2 id="spaces-heading" className="text-base font-semibold text-slate-900">
          {t("spaces.title")}
        </h2>
      </div>
      {failure && !createFailed ? <FormError errors={failure.errors} /> : null}
      {spaces.length === 0 ? (
        <EmptyState
          icon={<HashIcon className="size-6" />}
          title={t("spaces.noneTitle")}
          description={canManage ? t("spaces.noneBodyAdmin") : t("spaces.noneBody")}
        />
      ) : (
        <ul className="divide-y divide-slate-100 overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm">
          {spaces.map(({ space, locked }, index) => {
            const tierText = tierName(tiers, space.minTier, label);
            const newCount = space.newPosts ?? 0;
            return (
              <li key={space.id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:gap-4 sm:p-5" data-space-id={space.id}>
                <div className="flex min-w-0 flex-1 items-start gap-3">
                  <span
                    aria-hidden="true"
                    className={cx("flex size-10 shrink-0 items-center justify-center rounded-xl", locked ? "bg-amber-100 text-amber-900" : "bg-brand-50 text-brand-700")}
                  >
                    {locked ? <LockIcon className="size-5" /> : space.kind === "chat" ? <ChatIcon className="size-5" /> : <HashIcon className="size-5" />}
                  </span>
                  <div className="min-w-0 flex-1">
                    <div className="flex flex-wrap items-center gap-2">
                      <Link to={`/c/${slug}/s/${space.id}`} className={cx("rounded font-semibold text-slate-900 hover:text-brand-700 hover:underline", focusRing)}>
                        <Name>{space.name}</Name>
                      </Link>
                      {locked ? <span className="sr-only">{t("spaces.lockedShort")}</span> : null}
                      {!locked && newCount > 0 ? <Badge tone="brand">{t("spaces.newCount", { count: newCount })}</Badge> : null}
                      {space.minTier !== "free" ? <Badge tone="warning">{t("spaces.tierBadge", { tier: tierText })}</Badge> : null}
                      {space.private ? <Badge>{t("spaces.private")}</Badge> : null}
                    </div>
                    {space.description ? <p className="mt-0.5 line-clamp-2 text-sm text-slate-600">{space.description}</p> : null}
                    {locked ? <p className="mt-1 text-sm text-amber-900">{t("spaces.lockedHint", { tier: tierText })}</p> : null}
                  </div>
                </div>
                <div className="flex flex-wrap items-center gap-2 pl-[3.25rem] sm:pl-0">
                  {locked ? (
                    <ButtonLink to={`/c/${slug}/billing`} size="sm" variant={paymentsOn ? "primary" : "secondary"}>
                      {paymentsOn ? t("spaces.upgradeTo", { tier: tierText }) : t("billing.seeAllPlans")}
                    </ButtonLink>
                  ) : isMember && space.kind !== "chat" ? (
                    // a chat space's notifications are its own setting (all, mentions, none) on its page
                    <FollowToggle spaceId={space.id} following={Boolean(space.following)} name={space.name} />
                  ) : null}
                  {canManage ? (
                    <>
                      <Form method="post" className="flex" preventScrollReset>
                        <input type="hidden" name="spaceId" value={space.id} />
                        {order.map((id) => (
                          <input key={id} type="hidden" name="order" value={id} />
                        ))}
                        <button
                          type="submit"
                          name="intent"
                          value="move-up"
                          disabled={index === 0}
                          aria-label={t("spaces.moveUp", { name: space.name })}
                          className={cx(buttonClass("ghost", "sm"), "px-2 disabled:opacity-40")}
                        >
                          <span aria-hidden="true">↑</span>
                        </button>
                        <button
                          type="submit"
                          name="intent"
                          value="move-down"
                          disabled={index === spaces.length - 1}
                          aria-label={t("spaces.moveDown", { name: space.name })}
                          className={cx(buttonClass("ghost", "sm"), "px-2 disabled:opacity-40")}
                        >
                          <span aria-hidden="true">↓</span>
                        </button>
                      </Form>
                      <Link
                        to={`/c/${slug}/s/${space.id}/settings`}
                        aria-label={t("spaceSettings.linkLabel", { name: space.name })}
                        className={buttonClass("ghost", "sm")}
                      >
                        {t("spaceSettings.edit")}
                      </Link>
                      <ConfirmAction
                        label={t("spaces.archive")}
                        labelAria={t("spaces.archiveLabel", { name: space.name })}
                        question={t("spaces.archiveQuestion", { name: space.name })}
                        intent="archive"
                        confirm={t("spaces.archiveConfirm")}
                      >
                        <input type="hidden" name="spaceId" value={space.id} />
                      </ConfirmAction>
                    </>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      )}

      {canManage ? (
        // a new location (the space was created) starts the form afresh and folds it away
        <details key={location.key} className="group mt-4 rounded-2xl border border-slate-200 bg-white shadow-sm open:p-5 sm:open:p-6" open={createFailed || undefined}>
          <summary className={cx("flex cursor-pointer list-none items-center gap-2 rounded-2xl px-4 py-3 text-sm font-semibold text-brand-700 hover:bg-slate-50 group-open:mb-4 group-open:p-0 group-open:text-base group-open:text-slate-900 group-open:hover:bg-transparent [&::-webkit-details-marker]:hidden", focusRing)}>
            <span aria-hidden="true" className="group-open:hidden">
              +
            </span>
            {t("spaces.create")}
          </summary>
          <Form method="post" className="space-y-4 [&:has(input[name=private]:checked)_[data-members]]:block" noValidate>
            <FormError errors={errors && Object.keys(errors.fields).length === 0 ? errors : undefined} />
            <Field label={t("spaces.name")} name="name" required maxLength={80} defaultValue={values?.name ?? ""} error={errors?.fields.name} placeholder={t("spaces.namePlaceholder")} />
            <TextareaField label={t("spaces.descriptionField")} name="description" rows={2} maxLength={500} defaultValue={values?.description ?? ""} error={errors?.fields.description} />
            <SelectField label={t("spaces.kind")} name="kind" defaultValue={values?.kind ?? "discussion"} hint={t("spaces.kindHint")}>
              <option value="discussion">{t("spaces.kinds.discussion")}</option>
              <option value="chat">{t("spaces.kinds.chat")}</option>
            </SelectField>
            <SelectField label={t("spaces.minTier")} name="minTier" defaultValue={values?.minTier ?? "free"} hint={t("spaces.minTierHint")} error={errors?.fields.minTier}>
              {tierKeys.map((key) => (
                <option key={key} value={key}>
                  {tierName(tiers, key, label)}
                </option>
              ))}
            </SelectField>
            <Checkbox name="private" label={t("spaces.privateField")} hint={t("spaces.privateHint")} defaultChecked={values?.private === "on"} />
            {candidates.length > 0 ? (
              <fieldset data-members className="hidden rounded-xl border border-slate-200 p-3">
                <legend className="px-1 text-sm font-medium text-slate-800">{t("spaces.membersField")}</legend>
                <p className="mb-2 px-1 text-sm text-slate-600">{t("spaces.membersHint")}</p>
                <div className="grid max-h-48 gap-2 overflow-y-auto px-1 sm:grid-cols-2">
                  {candidates.map((person) => (
                    <Checkbox key={person.id} name="memberIds" value={person.id} label={person.name} />
                  ))}
                </div>
              </fieldset>
            ) : null}
            <div className="flex justify-end">
              <SubmitButton intent="create-space">{t("spaces.createSubmit")}</SubmitButton>
            </div>
          </Form>
        </details>
      ) : null}
    </section>
  );
}
