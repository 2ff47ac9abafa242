// The owner's billing settings (issue 14 point 1): currency, prices per paid tier and interval in
// major units, trial days, promotion codes, grace days, refund policy, and the public pricing
// page's switch. Admins read them; without Stripe keys (or DEV_MODE's stand-in) the page says how
// to configure payments and that tiers can still be granted by hand.
import { useTranslation } from "react-i18next";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-billing-settings";
import { CommunityHeader } from "../components/community-header";
import { FormError, SubmitButton, type ClientFormErrors } from "../components/form-bits";
import { CopyButton } from "../components/copy-button";
import { Alert, Badge, Card, CardTitle, Checkbox, Container, Field, LoadError, SelectField, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { openCommunityPage } from "../lib/community.server";
import { billingApi } from "../lib/billing.server";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { issueText } from "../lib/issues";
import { majorText, paidTierKeys, toMinorUnits, type BillingSettingsAnswer } from "../lib/billing";
import { currencyRule, SUPPORTED_CURRENCIES } from "../../workers/billing/currency";

/** The currencies offered first (lowercase ISO 4217, as Stripe and billing_settings spell them); the rest of the table follows. */
const common = ["twd", "usd", "hkd", "jpy", "krw", "sgd", "eur", "gbp", "aud", "cad"];
const currencies = [...common, ...SUPPORTED_CURRENCIES.filter((c) => !common.includes(c)).sort()];

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { answer } = await openCommunityPage(cf, params.slug);
  // billing is not a member's to know about: 404, as the API answers (admins read it, the owner writes)
  if (!answer.viewer?.permissions.includes("community.update")) throw data(null, { status: 404 });
  const billing = await billingApi<BillingSettingsAnswer>(cf, request, params.slug, "/billing");
  const notConfigured = (!billing.ok && billing.error.code === "payments_not_configured") || (billing.ok && !billing.data.configured);
  return {
    ...answer,
    isOwner: answer.viewer?.permissions.includes("tiers.update") ?? false,
    billing: billing.ok ? billing.data : null,
    notConfigured,
    loadFailed: !billing.ok && !notConfigured,
    origin: new URL(request.url).origin,
  };
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const form = await request.formData();
  const intent = field(form, "intent");
  const back = (saved: string) => redirect(`/c/${params.slug}/settings/billing?saved=${saved}`);
  if (intent === "billing") {
    const currency = field(form, "currency").toLowerCase();
    const issues: Array<{ path: string; message: string; code: string }> = [];
    const tiers = paidTierKeys.map((key) => {
      const amount = (interval: "month" | "year") => {
        const raw = field(form, `${key}_${interval}`);
        if (!raw) return null;
        const minor = toMinorUnits(raw, currency);
        if (minor === null) issues.push({ path: `${key}_${interval}`, message: "invalid_amount", code: "invalid_amount" });
        return minor;
      };
      const trial = field(form, `${key}_trialDays`);
      return { key, month: amount("month"), year: amount("year"), ...(trial !== "" ? { trialDays: Number(trial) } : {}) };
    });
    const values = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === "string")) as Record<string, string>;
    if (issues.length) return fail({ ok: false, status: 400, error: { code: "validation_failed", message: "", issues } }, values);
    const body = {
      currency,
      allowPromotionCodes: form.get("allowPromotionCodes") === "on",
      graceDays: Number(field(form, "graceDays")),
      refundPolicy: field(form, "refundPolicy"),
      tiers,
    };
    const result = await billingApi<BillingSettingsAnswer>(cf, request, params.slug, "/billing", { method: "PUT", body });
    if (!result.ok) return fail(result, values);
    return back("billing");
  }
  if (intent === "publish" || intent === "unpublish") {
    const result = await billingApi(cf, request, params.slug, "/pricing", { method: "PATCH", body: { published: intent === "publish" } });
    if (!result.ok) return fail(result, { section: "publish" });
    return back(intent);
  }
  return unknownIntent();
}

/** Every refusal of the form: the form-level one, or each field issue in words (the API's paths name no input here). */
function BillingErrors({ errors }: { errors: ClientFormErrors | null | undefined }) {
  const { t } = useTranslation();
  if (!errors) return null;
  const fields = Object.entries(errors.fields);
  if (fields.length === 0) return <FormError errors={errors} />;
  return (
    <Alert tone="danger" className="mb-4" title={t("apiError.validation_failed")}>
      <ul className="list-disc pl-5">
        {fields.map(([path, issue]) => (
          <li key={path}>
            {t(`billingSettings.fieldNames.${path.replace(/\.\d+/g, "")}`, { defaultValue: path })}:{" "}
            {typeof issue !== "string" && issue.code === "invalid_amount" ? t("settings.checks.invalid_amount") : issueText(t, issue)}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

function NotConfigured() {
  const { t } = useTranslation();
  return (
    <Alert tone="warning" title={t("billingSettings.notConfiguredTitle")}>
      <div className="space-y-2" data-testid="payments-not-configured">
        <p>{t("billingSettings.notConfiguredBody")}</p>
        <ul className="list-disc pl-5">
          <li>{t("billingSettings.notConfiguredKeys")}</li>
          <li>{t("billingSettings.notConfiguredStandIn")}</li>
        </ul>
        <p>{t("billingSettings.grantByHand")}</p>
      </div>
    </Alert>
  );
}

export default function BillingSettings({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, isOwner, billing, notConfigured, loadFailed, origin } = loaderData;
  const saved = params.get("saved");
  const values = actionData?.values;
  const errors = actionData && !actionData.ok ? actionData.errors : null;
  const publishErrors = values?.section === "publish" ? errors : null;
  const formErrors = values?.section === "publish" ? null : errors;
  const currency = values?.currency ?? billing?.settings.currency ?? "twd";
  const priceValue = (key: string, interval: "month" | "year") => {
    if (values) return values[`${key}_${interval}`] ?? "";
    const price = billing?.tiers.find((x) => x.key === key)?.prices[interval];
    return price ? majorText(price) : "";
  };
  const readOnly = !isOwner;
  const pricingUrl = `${origin}/c/${community.slug}/pricing`;
  return (
    <>
      <title>{t("billingSettings.title") + " · " + community.name}</title>
      <CommunityHeader community={community} viewer={viewer} />
      <Container size="md" className="space-y-6">
        <p className="text-sm">
          <TextLink to={`/c/${community.slug}/settings`}>{t("billingSettings.backToSettings")}</TextLink>
        </p>
        {saved ? <Alert tone="success">{t(`billingSettings.saved.${saved}`, { defaultValue: t("common.saved") })}</Alert> : null}
        {notConfigured ? <NotConfigured /> : null}
        {loadFailed ? <LoadError message={t("billingSettings.loadError")} /> : null}
        {billing && !notConfigured ? (
          <>
            <Card>
              <CardTitle
                description={readOnly ? t("billingSettings.ownerOnly") : t("billingSettings.description")}
                action={billing.mode === "stand-in" ? <Badge tone="warning">{t("billingSettings.standInMode")}</Badge> : null}
              >
                {t("billingSettings.title")}
              </CardTitle>
              <BillingErrors errors={formErrors} />
              <Form method="post" className="space-y-6" noValidate>
                <fieldset disabled={readOnly} className="space-y-6">
                  <div className="grid gap-4 sm:grid-cols-2">
                    <SelectField label={t("billingSettings.currency")} name="currency" defaultValue={currency} hint={t("billingSettings.currencyHint")}>
                      {currencies.map((c) => (
                        <option key={c} value={c}>
                          {c.toUpperCase()}
                        </option>
                      ))}
                    </SelectField>
                  </div>
                  {paidTierKeys.map((key) => {
                    const tier = billing.tiers.find((x) => x.key === key);
                    return (
                      <fieldset key={key} className="space-y-4 rounded-xl border border-slate-200 p-4">
                        <legend className="px-1 text-sm font-semibold uppercase tracking-wide text-slate-600">{tier?.name ?? t(`tiers.${key}`)}</legend>
                        <div className="grid gap-4 sm:grid-cols-3">
                          <Field
                            label={t("billingSettings.priceMonth", { currency: currency.toUpperCase() })}
                            name={`${key}_month`}
                            inputMode={currencyRule(currency)?.displayDecimals === 0 ? "numeric" : "decimal"}
                            defaultValue={priceValue(key, "month")}
                            placeholder={t("billingSettings.noPrice")}
                            error={formErrors?.fields[`${key}_month`] ? t("settings.checks.invalid_amount") : undefined}
                          />
                          <Field
                            label={t("billingSettings.priceYear", { currency: currency.toUpperCase() })}
                            name={`${key}_year`}
                            inputMode={currencyRule(currency)?.displayDecimals === 0 ? "numeric" : "decimal"}
                            defaultValue={priceValue(key, "year")}
                            placeholder={t("billingSettings.noPrice")}
                            error={formErrors?.fields[`${key}_year`] ? t("settings.checks.invalid_amount") : undefined}
                          />
                          <Field
                            label={t("billingSettings.trialDays")}
                            name={`${key}_trialDays`}
                            type="number"
                            min={0}
                            max={730}
                            defaultValue={values?.[`${key}_trialDays`] ?? tier?.trialDays ?? 0}
                          />
                        </div>
                      </fieldset>
                    );
                  })}
                  <p className="text-sm text-slate-600">{t("billingSettings.pricesHint")}</p>
                  <Checkbox
                    label={t("billingSettings.promotionCodes")}
                    hint={t("billingSettings.promotionCodesHint")}
                    name="allowPromotionCodes"
                    defaultChecked={values ? values.allowPromotionCodes === "on" : billing.settings.allowPromotionCodes}
                  />
                  <div className="grid gap-4 sm:grid-cols-2">
                    <Field
                      label={t("billingSettings.graceDays")}
                      hint={t("billingSettings.graceDaysHint")}
                      name="graceDays"
                      type="number"
                      min={0}
                      max={60}
                      defaultValue={values?.graceDays ?? billing.settings.graceDays}
                    />
                    <SelectField label={t("billingSettings.refundPolicy")} name="refundPolicy" defaultValue={values?.refundPolicy ?? billing.settings.refundPolicy}>
                      <option value="revoke">{t("billingSettings.refundRevoke")}</option>
                      <option value="keep">{t("billingSettings.refundKeep")}</option>
                    </SelectField>
                  </div>
                </fieldset>
                {readOnly ? null : (
                  <div className="flex justify-end">
                    <SubmitButton intent="billing" pendingLabel={t("billingSettings.saving")}>
                      {t("billingSettings.save")}
                    </SubmitButton>
                  </div>
                )}
              </Form>
            </Card>

            <Card>
              <CardTitle description={t("billingSettings.publishDescription")}>{t("billingSettings.publishTitle")}</CardTitle>
              <FormError errors={publishErrors} />
              <div className="space-y-4">
                <p className="text-sm text-slate-700" data-testid="pricing-state">
                  {billing.settings.pricingPublished ? t("billingSettings.published") : t("billingSettings.notPublished")}
                </p>
                {billing.settings.pricingPublished ? (
                  <div className="flex flex-wrap items-center gap-3">
                    <a href={pricingUrl} className="break-all text-sm font-medium text-brand-700 underline underline-offset-2">
                      {pricingUrl}
                    </a>
                    <CopyButton text={pricingUrl} />
                  </div>
                ) : null}
                {isOwner ? (
                  <Form method="post">
                    <SubmitButton intent={billing.settings.pricingPublished ? "unpublish" : "publish"} variant={billing.settings.pricingPublished ? "secondary" : "primary"}>
                      {billing.settings.pricingPublished ? t("billingSettings.unpublish") : t("billingSettings.publish")}
                    </SubmitButton>
                  </Form>
                ) : null}
              </div>
            </Card>
          </>
        ) : null}
      </Container>
    </>
  );
}
