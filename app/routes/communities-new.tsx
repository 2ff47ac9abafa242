import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData } from "react-router";
import type { Route } from "./+types/communities-new";
import { FormError, SubmitButton } from "../components/form-bits";
import { ButtonLink, Card, Container, Field, PageHeader, SelectField, TextareaField } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { locales } from "../i18n";
import { attempt } from "../lib/use-case.server";
import { requireReaderUser } from "../../workers/domain/access";
import { createCommunity } from "../../workers/domain/communities/create-community";
import { CreateCommunityBody } from "../../workers/domain/schemas/communities";
import { parseInput } from "../../workers/lib/validation";
import { fail, field, requireSignedIn } from "../lib/forms.server";
import { issueText } from "../lib/issues";

export function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  return { defaultLocale: findLocale(request, cf.user) };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const values = {
    name: field(form, "name"),
    slug: field(form, "slug").toLowerCase(),
    description: field(form, "description"),
    visibility: field(form, "visibility") === "public" ? "public" : "private",
    defaultLocale: field(form, "defaultLocale"),
  };
  const result = await attempt(async () => createCommunity(cf.env, await requireReaderUser(cf.reader), parseInput(CreateCommunityBody, values)));
  if (!result.ok) return fail(result, values);
  return redirect(`/c/${result.data.slug}`);
}

function slugFromName(name: string) {
  return name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
}

export default function NewCommunity({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const values = actionData?.values;
  const [slug, setSlug] = useState(values?.slug ?? "");
  const [slugTouched, setSlugTouched] = useState(Boolean(values?.slug));
  return (
    <Container size="md">
      <title>{t("newCommunity.title") + " · " + t("app.name")}</title>
      <PageHeader title={t("newCommunity.title")} description={t("newCommunity.description")} />
      <Card>
        <FormError errors={errors} />
        <Form method="post" className="space-y-6" noValidate>
          <Field
            label={t("fields.communityName")}
            name="name"
            required
            maxLength={80}
            defaultValue={values?.name}
            error={errors?.fields.name}
            onChange={(e) => {
              if (!slugTouched) setSlug(slugFromName(e.currentTarget.value));
            }}
          />
          <div>
            <Field
              label={t("fields.slug")}
              name="slug"
              required
              value={slug}
              onChange={(e) => {
                setSlugTouched(true);
                setSlug(e.currentTarget.value.toLowerCase());
              }}
              minLength={3}
              maxLength={40}
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              hint={t("newCommunity.slugRules")}
              error={errors?.fields.slug}
            />
            <p className="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-700" aria-live="polite">
              {t("newCommunity.slugPreview", { url: `/c/${slug || t("newCommunity.slugPlaceholder")}` })}
            </p>
          </div>
          <TextareaField label={t("fields.description")} name="description" maxLength={2000} defaultValue={values?.description} error={errors?.fields.description} hint={t("newCommunity.descriptionHint")} />
          <fieldset>
            <legend className="text-sm font-medium text-slate-800">{t("fields.visibility")}</legend>
            <div className="mt-2 grid gap-3 sm:grid-cols-2">
              {(["private", "public"] as const).map((v) => (
                <label key={v} className="flex cursor-pointer gap-3 rounded-xl border border-slate-300 p-4 has-[:checked]:border-brand-600 has-[:checked]:bg-brand-50 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600">
                  <input type="radio" name="visibility" value={v} defaultChecked={(values?.visibility ?? "private") === v} className="mt-1 accent-brand-600" />
                  <span>
                    <span className="block text-sm font-semibold text-slate-900">{t(`visibility.${v}`)}</span>
                    <span className="block text-sm text-slate-600">{t(`visibility.${v}Hint`)}</span>
                  </span>
                </label>
              ))}
            </div>
            {errors?.fields.visibility ? <p className="mt-1.5 text-sm font-medium text-red-700">{issueText(t, errors.fields.visibility)}</p> : null}
          </fieldset>
          <SelectField label={t("fields.defaultLocale")} name="defaultLocale" defaultValue={values?.defaultLocale ?? loaderData.defaultLocale} error={errors?.fields.defaultLocale}>
            {locales.map((l) => (
              <option key={l} value={l}>
                {t(`language.${l}`)}
              </option>
            ))}
          </SelectField>
          <div className="flex flex-col-reverse gap-3 border-t border-slate-100 pt-6 sm:flex-row sm:justify-end">
            <ButtonLink to="/" variant="secondary">
              {t("common.cancel")}
            </ButtonLink>
            <SubmitButton>{t("newCommunity.submit")}</SubmitButton>
          </div>
        </Form>
      </Card>
    </Container>
  );
}
