import { useTranslation } from "react-i18next";
import { Form, redirect, useActionData, useSearchParams } from "react-router";
import { Name } from "../components/name";
import type { Route } from "./+types/settings-data";
import { FormError, SubmitButton } from "../components/form-bits";
import { SettingsNav } from "../components/settings-nav";
import { Alert, Card, CardTitle, Checkbox, Container, EmptyState, Field, PageHeader, buttonClass } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { requireReaderUser } from "../../workers/domain/access";
import { eraseAccount } from "../../workers/domain/account/erase";
import { sessionCookie } from "../../workers/domain/auth/session-cookie";
import { ConsentChanges, EraseAccountBody } from "../../workers/domain/schemas/user";
import { parseInput } from "../../workers/lib/validation";
import { attempt } from "../lib/use-case.server";
import { listConsents, setConsents } from "../../workers/domain/account/consents";
import { listExports, requestExport } from "../../workers/domain/data-rights/export-jobs";
import { fail, field, textField, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { useFormatDate } from "../components/local-time";
import { consentPurposes, type Consent, type ExportJob, type List } from "../lib/types";
import { ExportJobPanel } from "../components/export-job";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const user = requireSignedIn(cf, request);
  const [consents, exports] = await Promise.all([
    attempt(async () => ({ items: await listConsents(cf.env, user.id) })),
    attempt(() => listExports(cf.env, user.id, { kind: "account" }, { limit: 1 })),
  ]);
  const byCommunity = new Map<string, { community: Consent["community"]; purposes: Record<string, { granted: boolean; at: string | null }> }>();
  for (const item of consents.ok ? consents.data.items : []) {
    const entry = byCommunity.get(item.community.slug) ?? { community: item.community, purposes: {} };
    entry.purposes[item.purpose] = { granted: item.granted, at: item.at };
    byCommunity.set(item.community.slug, entry);
  }
  return {
    communities: [...byCommunity.values()],
    latestExport: exports.ok ? (exports.data.items[0] ?? null) : null,
    locale: findLocale(request, cf.user),
    loadFailed: !consents.ok,
  };
}

export async function action({ context, request }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const userId = async () => (await requireReaderUser(cf.reader)).id;
  if (intent === "consents") {
    const community = field(form, "community");
    // unchecked boxes are not sent: every purpose listed in the form is decided here
    const items = form
      .getAll("purposes")
      .map(String)
      .filter((p) => p !== "essential")
      .map((purpose) => ({ community, purpose, granted: form.get(`consent_${purpose}`) === "on" }));
    const result = await attempt(async () => setConsents(cf.env, await userId(), parseInput(ConsentChanges, { items }).items));
    if (!result.ok) return fail(result, { section: `consents:${community}` });
    return redirect(`/settings/data?saved=${encodeURIComponent(community)}`);
  }
  if (intent === "export") {
    const result = await attempt(async () => requestExport(cf.env, await userId(), { kind: "account" }));
    if (!result.ok) return fail(result, { section: "export" });
    return redirect("/settings/data#export");
  }
  if (intent === "delete") {
    const body = { password: textField(form, "password") };
    const result = await attempt(async () => eraseAccount(cf.env, await userId(), parseInput(EraseAccountBody, body).password));
    if (!result.ok) return fail(result, { section: "delete" });
    return redirect("/goodbye", { headers: { "Set-Cookie": sessionCookie(request.url, null) } });
  }
  return unknownIntent();
}

export default function MyData({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { communities, locale, latestExport } = loaderData;
  const section = actionData?.values?.section;
  const deleteErrors = section === "delete" ? actionData?.errors : null;
  const deleteConflict = deleteErrors?.code === "conflict";
  const saved = params.get("saved");
  return (
    <Container size="md">
      <title>{t("data.title") + " · " + t("app.name")}</title>
      <PageHeader title={t("data.title")} description={t("data.description")} />
      <SettingsNav />
      <div className="space-y-6">
        <Card>
          <CardTitle description={t("data.consentsDescription")}>{t("data.consents")}</CardTitle>
          {communities.length === 0 ? (
            <EmptyState title={t("data.noConsentsTitle")} description={t("data.noConsentsBody")} />
          ) : (
            <div className="space-y-4">
              {communities.map(({ community, purposes }) => {
                const errors = section === `consents:${community.slug}` ? actionData?.errors : null;
                return (
                  <Form key={community.slug} method="post" className="rounded-xl border border-slate-200 p-4" aria-label={t("data.consentsFor", { name: community.name })}>
                    <input type="hidden" name="community" value={community.slug} />
                    <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
                      <h3 className="font-semibold text-slate-900">
                        <Name>{community.name}</Name>
                      </h3>
                      {saved === community.slug ? <span className="text-sm font-medium text-emerald-800" role="status">{t("common.saved")}</span> : null}
                    </div>
                    <FormError errors={errors} />
                    <fieldset className="space-y-3">
                      <legend className="sr-only">{t("data.consentsFor", { name: community.name })}</legend>
                      {consentPurposes
                        .filter((p) => purposes[p])
                        .map((purpose) => {
                          const state = purposes[purpose];
                          return (
                            <div key={purpose}>
                              <input type="hidden" name="purposes" value={purpose} />
                              <Checkbox
                                name={`consent_${purpose}`}
                                defaultChecked={state.granted}
                                disabled={purpose === "essential"}
                                label={t(`purposes.${purpose}.label`)}
                                hint={
                                  t(`purposes.${purpose}.hint`) +
                                  (state.at ? " · " + t(state.granted ? "data.grantedAt" : "data.withdrawnAt", { date: formatDay(state.at) }) : "")
                                }
                              />
                            </div>
                          );
                        })}
                    </fieldset>
                    <div className="mt-4 flex justify-end">
                      <SubmitButton intent="consents" variant="secondary" size="sm">
                        {t("data.saveConsents")}
                      </SubmitButton>
                    </div>
                  </Form>
                );
              })}
            </div>
          )}
        </Card>

        <Card id="export">
          <CardTitle description={t("data.exportDescription")}>{t("data.export")}</CardTitle>
          <FormError errors={section === "export" ? actionData?.errors : null} />
          <ExportJobPanel job={latestExport} intent="export" startLabel={t("data.exportButton")} />
        </Card>

        <section className="rounded-2xl border border-red-200 bg-white p-5 shadow-sm sm:p-6" aria-labelledby="delete-account">
          <h2 id="delete-account" className="text-base font-semibold text-red-800">
            {t("data.delete")}
          </h2>
          <p className="mt-1 text-sm text-slate-700">{t("data.deleteDescription")}</p>
          {deleteConflict ? (
            <Alert tone="warning" className="mt-4">
              {t("data.deleteOwnerConflict")}
            </Alert>
          ) : (
            <FormError errors={deleteErrors && !deleteErrors.fields.password ? deleteErrors : null} />
          )}
          <Form method="post" className="mt-4 flex flex-col gap-3 sm:flex-row sm:items-end">
            <Field
              label={t("data.deletePassword")}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              className="flex-1"
              error={deleteErrors?.fields.password}
            />
            <SubmitButton intent="delete" variant="danger">
              {t("data.deleteSubmit")}
            </SubmitButton>
          </Form>
        </section>
      </div>
    </Container>
  );
}
