// The owner's billing settings (issue 14 point 1): currency, prices per paid tier and interval in
// major units, trial days, promotion codes, grace days, refund policy, and the public pricing
// page's switch. Admins read them; without Stripe keys (or DEV_MODE's stand-in) the page says how
// to configure payments and that tiers can still be granted by hand.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { data, Form, redirect, useActionData, useSearchParams } from "react-router";
import type { Route } from "./+types/community-billing-settings";
import { CommunityHeader } from "../components/community-header";
import { FormError, SubmitButton, type ClientFormErrors } from "../components/form-bits";
import { CopyButton } from "../components/copy-button";
import { Alert, Badge, Card, CardTitle, Checkbox, Container, Field, LoadError, SelectField, TextLink } from "../components/ui";
import { cloudflareContext } from "../context";
import { openCommunityPage } from "../lib/community.server";
import { fail, field, requireSignedIn, unknownIntent } from "../lib/forms.server";
import { issueLabel, issueText, type FieldIssue } from "../lib/issues";
import { amountRefusal, majorText, moneyText, paidTierKeys, toMinorUnits, typedAmountRefusal, typedNumberText } from "../lib/billing";
import { attempt, type Outcome } from "../lib/use-case.server";
import { currencyRule, SUPPORTED_CURRENCIES } from "../../workers/billing/currency";
import { publishBilling, readBilling, setPricingPublished } from "../../workers/billing/catalog";
import { requireStripe } from "../../workers/billing/errors";
import { billingMember } from "../../workers/billing/reads";
import { openCommunity } from "../../workers/domain/access";
import { UpdateBillingBody } from "../../workers/domain/schemas/billing";
import { parseInput } from "../../workers/lib/validation";

/** The currencies offered first (lowercase ISO 4217, as Stripe and billing_settings spell them); the rest of the table follows. */
const common = ["twd", "usd", "hkd", "jpy", "krw", "sgd", "eur", "gbp", "aud", "cad"];
const currencies = [...common, ...SUPPORTED_CURRENCIES.filter((c) => !common.includes(c)).sort()];

export async function loader({ context, request, params }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { answer, access } = await openCommunityPage(cf, params.slug);
  // a member lacking the role: 403, as the API answers (admins read it, the owner writes)
  if (!answer.viewer?.permissions.includes("community.update")) throw data(null, { status: 403 });
  const billing = await attempt(async () => readBilling(cf.env, billingMember(access, "admin").community.id));
  const notConfigured = billing.ok && !billing.data.configured;
  return {
    ...answer,
    isOwner: answer.viewer?.permissions.includes("tiers.update") ?? false,
    billing: billing.ok ? billing.data : null,
    notConfigured,
    loadFailed: !billing.ok,
    origin: new URL(request.url).origin,
  };
}

/** The form's inputs are named `<tier>_<interval>` and `<tier>_trialDays`; the routes' issues name `tiers.<key|index>.<field>`. */
function inputName(path: string, tierOrder: readonly string[]): string {
  const [head, tier, rest] = path.split(".");
  if (head !== "tiers" || tier === undefined || rest === undefined) return path;
  return `${/^\d+$/.test(tier) ? (tierOrder[Number(tier)] ?? tier) : tier}_${rest}`;
}

/**
 * A refusal of the billing form with its issues renamed to the form's inputs (so each input shows
 * its own); an amount issue carries the currency it is about and which of Stripe's rules it broke
 * (`amountRefusal`), so the text can say it. `amounts`: the minor units sent, by input name.
 */
function billingFailure(result: Outcome<unknown>, currency: string, amounts: Record<string, number | null>, values: Record<string, string>) {
  if (result.ok || !Array.isArray(result.error.issues)) return fail(result, values);
  const issues = (result.error.issues as Array<Record<string, unknown>>).map((issue) => {
    const path = inputName(String(issue.path ?? ""), paidTierKeys);
    const amount = amounts[path];
    if (issue.code === "amount_invalid" && typeof amount === "number") return { ...issue, path, currency, ...amountRefusal(amount, currency) };
    return { ...issue, path, ...(String(issue.code ?? "").startsWith("amount_") ? { currency } : {}) };
  });
  return fail({ ...result, error: { ...result.error, issues } }, values);
}

export async function action({ context, request, params }: Route.ActionArgs) {
  const cf = context.get(cloudflareContext);
  requireSignedIn(cf, request);
  const { env, reader } = cf;
  const form = await request.formData();
  const intent = field(form, "intent");
  const back = (saved: string) => redirect(`/c/${params.slug}/settings/billing?saved=${saved}`);
  /** The billing of `slug` as its owner may change it: 404 for members, 403 for an admin (as PUT …/billing answers). */
  const asOwner = async () => billingMember(await openCommunity(env, params.slug, reader), "owner");
  if (intent === "billing") {
    const currency = field(form, "currency").toLowerCase();
    const known = currencyRule(currency) !== null;
    const issues: FieldIssue[] = known ? [] : [{ path: "currency", message: "", code: "currency_unsupported" }];
    const tiers = paidTierKeys.map((key) => {
      const amount = (interval: "month" | "year") => {
        const raw = field(form, `${key}_${interval}`);
        if (!raw) return null;
        const minor = toMinorUnits(raw, currency);
        if (minor === null && known) issues.push({ path: `${key}_${interval}`, message: "", currency, ...typedAmountRefusal(raw, currency) });
        return minor;
      };
      const trial = typedNumberText(field(form, `${key}_trialDays`));
      return { key, month: amount("month"), year: amount("year"), ...(trial !== "" ? { trialDays: Number(trial) } : {}) };
    });
    const values = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === "string")) as Record<string, string>;
    if (issues.length) return fail({ ok: false, status: 400, error: { code: "validation_failed", message: "", issues } }, values);
    const body = {
      currency,
      allowPromotionCodes: form.get("allowPromotionCodes") === "on",
      graceDays: Number(typedNumberText(field(form, "graceDays"))),
      refundPolicy: field(form, "refundPolicy"),
      tiers,
    };
    // as PUT …/billing: the owner, payments configured, the body as its schema reads it
    const result = await attempt(async () => {
      const owner = await asOwner();
      return publishBilling(env, requireStripe(env), owner, parseInput(UpdateBillingBody, body));
    });
    const amounts = Object.fromEntries(tiers.flatMap((x) => [[`${x.key}_month`, x.month], [`${x.key}_year`, x.year]]));
    if (!result.ok) return billingFailure(result, currency, amounts, values);
    return back("billing");
  }
  if (intent === "publish" || intent === "unpublish") {
    const result = await attempt(async () => setPricingPublished(env, await asOwner(), intent === "publish"));
    if (!result.ok) return fail(result, { section: "publish" });
    return back(intent);
  }
  return unknownIntent();
}

/** Every refusal of the form: the form-level one, or each field issue named by its label, in the reader's language. */
function BillingErrors({ errors }: { errors: ClientFormErrors | null | undefined }) {
  const { t } = useTranslation();
  if (!errors) return null;
  const fields = Object.entries(errors.fields);
  if (fields.length === 0) return <FormError errors={errors} />;
  return (
    <Alert tone="danger" className="mb-4" title={t("apiError.validation_failed")}>
      <ul className="list-disc pl-5" data-testid="billing-issues">
        {fields.map(([path, issue]) => (
          <li key={path}>
            {t("validation.issueLine", { label: issueLabel(t, "billingSettings.fieldNames", path), text: issueText(t, issue) })}
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
  const { t, i18n } = useTranslation();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { community, viewer, isOwner, billing, notConfigured, loadFailed, origin } = loaderData;
  const saved = params.get("saved");
  const values = actionData?.values;
  const errors = actionData && !actionData.ok ? actionData.errors : null;
  const publishErrors = values?.section === "publish" ? errors : null;
  const formErrors = values?.section === "publish" ? null : errors;
  const savedCurrency = values?.currency ?? billing?.settings.currency ?? "twd";
  // the labels and hints follow the currency chosen in the form before it is saved: an amount is
  // typed in the currency it will be charged in (useState keyed by the saved one, reset when it changes)
  const [chosen, setChosen] = useState({ from: savedCurrency, currency: savedCurrency });
  const currency = chosen.from === savedCurrency ? chosen.currency : savedCurrency;
  const priceValue = (key: string, interval: "month" | "year") => {
    if (values) return values[`${key}_${interval}`] ?? "";
    // only what is on sale fills a field: a draft (PATCH …/tiers/:key, a new community's defaults)
    // may be in another currency than the one chosen here, so it is a hint under the field
    // (draftHint), and saving without it typed in leaves it unsold
    const price = billing?.tiers.find((x) => x.key === key)?.prices[interval];
    return price ? majorText(price) : "";
  };
  /** a price set but not on sale (PATCH …/tiers/:key, a new community's defaults) that differs from the one on sale, as a hint under its field */
  const draftHint = (key: string, interval: "month" | "year") => {
    const tier = billing?.tiers.find((x) => x.key === key);
    const draft = tier?.drafts[interval];
    const sold = tier?.prices[interval];
    if (!draft || (sold && sold.amount === draft.amount && sold.currency === draft.currency)) return undefined;
    return t("billingSettings.draftHint", { price: moneyText(draft, i18n.language) });
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
                    <SelectField
                      label={t("billingSettings.currency")}
                      name="currency"
                      value={currency}
                      onChange={(e) => setChosen({ from: savedCurrency, currency: e.currentTarget.value })}
                      hint={t("billingSettings.currencyHint")}
                      error={formErrors?.fields.currency}
                    >
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
                            hint={draftHint(key, "month")}
                            error={formErrors?.fields[`${key}_month`]}
                          />
                          <Field
                            label={t("billingSettings.priceYear", { currency: currency.toUpperCase() })}
                            name={`${key}_year`}
                            inputMode={currencyRule(currency)?.displayDecimals === 0 ? "numeric" : "decimal"}
                            defaultValue={priceValue(key, "year")}
                            placeholder={t("billingSettings.noPrice")}
                            hint={draftHint(key, "year")}
                            error={formErrors?.fields[`${key}_year`]}
                          />
                          <Field
                            label={t("billingSettings.trialDays")}
                            name={`${key}_trialDays`}
                            type="number"
                            min={0}
                            max={730}
                            defaultValue={values?.[`${key}_trialDays`] ?? tier?.trialDays ?? 0}
                            error={formErrors?.fields[`${key}_trialDays`]}
                          />
                        </div>
                      </fieldset>
                    );
                  })}
                  <p className="text-sm text-slate-600">
                    {/* a currency of whole units (TWD, JPY …) is never shown "4.99" as an example */}
                    {t(currencyRule(currency)?.displayDecimals === 0 ? "billingSettings.pricesHintWhole" : "billingSettings.pricesHint", { currency: currency.toUpperCase() })}
                  </p>
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
                      error={formErrors?.fields.graceDays}
                    />
                    <SelectField label={t("billingSettings.refundPolicy")} name="refundPolicy" defaultValue={values?.refundPolicy ?? billing.settings.refundPolicy} error={formErrors?.fields.refundPolicy}>
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
