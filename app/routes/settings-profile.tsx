import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/settings-profile";
import { FormError, SubmitButton } from "../components/form-bits";
import { SettingsNav } from "../components/settings-nav";
import { Alert, Avatar, Button, buttonClass, Card, cx, CardTitle, Checkbox, Container, Field, PageHeader, SelectField, TextareaField } from "../components/ui";
import { cloudflareContext } from "../context";
import { isLocale, locales } from "../i18n";
import { langCookie } from "../i18n/locale.server";
import { attempt } from "../lib/use-case.server";
import { requireReaderUser } from "../../workers/domain/access";
import { ProfilePatch } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { loadMe, updateProfile } from "../../workers/domain/account/profile";
import { fail, field, requireSignedIn } from "../lib/forms.server";
import { timeZones } from "../lib/format";
import { notificationPrefKeys, type Me } from "../lib/types";
import { issueText } from "../lib/issues";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const user = requireSignedIn(cf, request);
  const me = await loadMe(cf.env, user.id);
  return { user: me.user, timeZones: timeZones() };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const values = {
    name: field(form, "name"),
    bio: field(form, "bio"),
    locale: field(form, "locale"),
    timezone: field(form, "timezone"),
  };
  const notificationPrefs = Object.fromEntries(notificationPrefKeys.map((key) => [key, form.get(`pref_${key}`) === "on"]));
  const body: Record<string, unknown> = { ...values, notificationPrefs };
  const avatarUrl = field(form, "avatarUrl");
  if (avatarUrl) body.avatarUrl = avatarUrl;
  if (field(form, "removeAvatar") === "1") body.avatarUrl = null;
  const result = await attempt(async () => updateProfile(cf.env, (await requireReaderUser(cf.reader)).id, parseInput(ProfilePatch, body)));
  if (!result.ok) return fail(result, values);
  // the saved language wins over the cookie; keep them in step so signing out changes nothing
  const headers = new Headers();
  if (isLocale(values.locale)) headers.set("Set-Cookie", langCookie(values.locale));
  return redirect("/settings/profile?saved=1", { headers });
}

function AvatarUpload({ name, current }: { name: string; current: string | null | undefined }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  const [state, setState] = useState<"idle" | "uploading" | "error">("idle");
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-4">
      <Avatar name={name} src={url ?? current} size="xl" />
      <div className="space-y-2">
        <input type="hidden" name="avatarUrl" value={url ?? ""} />
        <div className="flex flex-wrap gap-2">
          <input
            id="avatar-file"
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            className="peer sr-only"
            aria-describedby="avatar-hint"
            disabled={state === "uploading"}
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              if (!file) return;
              setState("uploading");
              setMessage(null);
              const body = new FormData();
              body.append("file", file);
              try {
                const res = await fetch("/api/v1/uploads", { method: "POST", body, credentials: "same-origin" });
                const json = (await res.json()) as { url?: string; error?: { code: string; message: string } };
                if (!res.ok || !json.url) throw new Error(json.error ? t(`apiError.${json.error.code}`, { defaultValue: json.error.message }) : t("apiError.error"));
                setUrl(json.url);
                setState("idle");
                setMessage(t("profile.avatarReady"));
              } catch (error) {
                setState("error");
                setMessage(error instanceof Error ? error.message : t("apiError.error"));
              }
            }}
          />
          {/* a real label: clicking it opens the picker, and it names the (visually hidden) input */}
          <label
            htmlFor="avatar-file"
            className={cx(buttonClass("secondary", "sm"), "cursor-pointer peer-focus-visible:ring-2 peer-focus-visible:ring-brand-600 peer-focus-visible:ring-offset-2", state === "uploading" && "cursor-not-allowed opacity-60")}
          >
            {state === "uploading" ? t("profile.uploading") : t("profile.uploadAvatar")}
          </label>
          {current && !url ? (
            <Button variant="ghost" size="sm" type="submit" name="removeAvatar" value="1">
              {t("profile.removeAvatar")}
            </Button>
          ) : null}
        </div>
        <p id="avatar-hint" className={state === "error" ? "text-sm font-medium text-red-700" : "text-sm text-slate-600"} aria-live="polite">
          {message ?? t("profile.avatarHint")}
        </p>
      </div>
    </div>
  );
}

export default function ProfileSettings({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { user } = loaderData;
  const errors = actionData?.errors;
  const values = actionData?.values;
  const prefs = user.notificationPrefs;
  return (
    <Container size="md">
      <title>{t("profile.title") + " · " + t("app.name")}</title>
      <PageHeader title={t("profile.title")} description={t("profile.description")} />
      <SettingsNav />
      {params.get("saved") && !actionData ? (
        <Alert tone="success" className="mb-6">
          {t("common.saved")}
        </Alert>
      ) : null}
      <FormError errors={errors} />
      <Form method="post" className="space-y-6" noValidate>
        <Card>
          <CardTitle description={t("profile.publicDescription")}>{t("profile.public")}</CardTitle>
          <div className="space-y-5">
            <AvatarUpload name={user.name} current={user.avatarUrl} />
            {errors?.fields.avatarUrl ? <p className="text-sm font-medium text-red-700">{issueText(t, errors.fields.avatarUrl)}</p> : null}
            <Field label={t("fields.name")} name="name" defaultValue={values?.name ?? user.name} required maxLength={80} autoComplete="name" error={errors?.fields.name} />
            <TextareaField label={t("fields.bio")} name="bio" defaultValue={values?.bio ?? user.bio} maxLength={2000} hint={t("profile.bioHint")} error={errors?.fields.bio} />
          </div>
        </Card>
        <Card>
          <CardTitle description={t("profile.regionDescription")}>{t("profile.region")}</CardTitle>
          <div className="grid gap-5 sm:grid-cols-2">
            <SelectField label={t("fields.language")} name="locale" defaultValue={values?.locale ?? user.locale} error={errors?.fields.locale}>
              {locales.map((l) => (
                <option key={l} value={l}>
                  {t(`language.${l}`)}
                </option>
              ))}
            </SelectField>
            <SelectField label={t("fields.timezone")} name="timezone" defaultValue={values?.timezone ?? user.timezone} error={errors?.fields.timezone}>
              {loaderData.timeZones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone.replace(/_/g, " ")}
                </option>
              ))}
            </SelectField>
          </div>
        </Card>
        <Card>
          <CardTitle description={t("profile.notificationsDescription")}>{t("profile.notifications")}</CardTitle>
          <fieldset className="space-y-4">
            <legend className="sr-only">{t("profile.notifications")}</legend>
            {notificationPrefKeys.map((key) => (
              <Checkbox key={key} name={`pref_${key}`} defaultChecked={prefs[key]} label={t(`prefs.${key}.label`)} hint={t(`prefs.${key}.hint`)} />
            ))}
          </fieldset>
        </Card>
        <div className="flex justify-end">
          <SubmitButton size="lg">{t("common.saveChanges")}</SubmitButton>
        </div>
      </Form>
    </Container>
  );
}
