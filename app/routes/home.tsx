import { useTranslation } from "react-i18next";
import { Name, NamedText } from "../components/name";
import { Link, useSearchParams } from "react-router";
import type { Route } from "./+types/home";
import { Alert, Badge, ButtonLink, Card, Container, EmptyState, PageHeader, cx, firstGrapheme, focusRing } from "../components/ui";
import { cloudflareContext } from "../context";
import { findLocale } from "../i18n/locale.server";
import { loadMe } from "../../workers/domain/account/profile";
import { moneyText } from "../lib/billing";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  if (!cf.user) return { signedIn: false as const, locale: findLocale(request, null) };
  const userId = cf.user.id;
  const me = await loadMe(cf.env, userId).catch(() => null);
  return {
    signedIn: true as const,
    name: cf.user.name,
    memberships: me ? me.memberships : [],
    loadFailed: !me,
  };
}

function Feature({ title, body, icon }: { title: string; body: string; icon: React.ReactNode }) {
  return (
    <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
      <div className="flex size-10 items-center justify-center rounded-lg bg-brand-50 text-brand-700" aria-hidden="true">
        {icon}
      </div>
      <h3 className="mt-4 text-base font-semibold text-slate-900">{title}</h3>
      <p className="mt-1.5 text-sm leading-6 text-slate-600">{body}</p>
    </div>
  );
}

const icon = (d: string) => (
  <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
    <path d={d} />
  </svg>
);

/** A still picture of a community in Enclave, for the hero (decorative: hidden from screen readers). */
function ProductPreview({ locale }: { locale: string }) {
  const { t } = useTranslation();
  const tiers = [
    { key: "free", price: null },
    { key: "member", price: 15000 },
    { key: "vip", price: 49000 },
  ] as const;
  const sources = [
    { key: "instagram", share: 54, colour: "bg-brand-600" },
    { key: "youtube", share: 28, colour: "bg-rose-600" },
    { key: "line", share: 18, colour: "bg-emerald-600" },
  ];
  return (
    <div aria-hidden="true" className="relative isolate hidden w-80 shrink-0 lg:block">
      <div className="absolute -inset-4 -z-10 rotate-3 rounded-3xl bg-brand-100/70" />
      <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-xl">
        <div className="flex items-center gap-3">
          <span className="flex size-11 items-center justify-center rounded-xl bg-brand-600 text-lg font-bold text-white">{firstGrapheme(t("landing.preview.name"))}</span>
          <div>
            <p className="font-semibold text-slate-900">{t("landing.preview.name")}</p>
            <p className="text-xs text-slate-600">{t("landing.preview.members")}</p>
          </div>
        </div>
        <p className="mt-5 text-xs font-semibold uppercase tracking-wide text-slate-600">{t("landing.preview.tiersTitle")}</p>
        <ul className="mt-2 space-y-2">
          {tiers.map((tier) => (
            <li key={tier.key} className="flex items-center justify-between rounded-lg bg-slate-50 px-3 py-2 text-sm">
              <span className="font-medium text-slate-800">{t(`tiers.${tier.key}`)}</span>
              <span className="font-semibold text-slate-900">
                {tier.price === null ? t("community.free") : `${moneyText({ amount: tier.price, currency: "twd" }, locale)} ${t("community.per.month")}`}
              </span>
            </li>
          ))}
        </ul>
        <p className="mt-5 text-xs font-semibold uppercase tracking-wide text-slate-600">{t("landing.preview.sourcesTitle")}</p>
        <ul className="mt-2 space-y-2">
          {sources.map((s) => (
            <li key={s.key} className="text-sm">
              <div className="flex justify-between text-slate-700">
                <span>{t(`sources.${s.key}`)}</span>
                <span className="font-medium text-slate-900">{s.share}%</span>
              </div>
              <div className="mt-1 h-1.5 rounded-full bg-slate-100">
                <div className={`h-1.5 rounded-full ${s.colour}`} style={{ width: `${s.share}%` }} />
              </div>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

function Landing({ locale }: { locale: string }) {
  const { t } = useTranslation();
  return (
    <>
      <title>{t("landing.pageTitle")}</title>
      <section className="relative overflow-hidden border-b border-slate-200 bg-white">
        <div aria-hidden="true" className="pointer-events-none absolute inset-0 bg-[radial-gradient(60rem_30rem_at_70%_-10%,var(--color-brand-100),transparent)]" />
        <div className="relative mx-auto flex max-w-5xl items-center gap-12 px-4 py-16 sm:px-6 sm:py-24">
          <div className="min-w-0 flex-1">
          <Badge tone="brand">{t("landing.eyebrow")}</Badge>
          <h1 className="mt-5 max-w-3xl text-balance text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl sm:leading-tight">{t("landing.title")}</h1>
          <p className="mt-5 max-w-2xl text-lg leading-8 text-slate-700">{t("landing.lead")}</p>
          <div className="mt-8 flex flex-col gap-3 sm:flex-row">
            <ButtonLink to="/signup" size="lg">
              {t("landing.ctaSignup")}
            </ButtonLink>
            <ButtonLink to="/login" size="lg" variant="secondary">
              {t("landing.ctaLogin")}
            </ButtonLink>
          </div>
          <p className="mt-4 text-sm text-slate-600">{t("landing.ctaNote")}</p>
          </div>
          <ProductPreview locale={locale} />
        </div>
      </section>
      <Container>
        <h2 className="text-xl font-bold tracking-tight text-slate-900 sm:text-2xl">{t("landing.featuresTitle")}</h2>
        <div className="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <Feature
            title={t("landing.features.own.title")}
            body={t("landing.features.own.body")}
            icon={icon("M12 3 4 7v5c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V7z")}
          />
          <Feature
            title={t("landing.features.tiers.title")}
            body={t("landing.features.tiers.body")}
            icon={icon("M12 2v20M17 5H9.5a3.5 3.5 0 0 0 0 7h5a3.5 3.5 0 0 1 0 7H6")}
          />
          <Feature
            title={t("landing.features.invites.title")}
            body={t("landing.features.invites.body")}
            icon={icon("M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7")}
          />
          <Feature
            title={t("landing.features.languages.title")}
            body={t("landing.features.languages.body")}
            icon={icon("M3 5h12M9 3v2m1.05 9.5A18 18 0 0 1 6.4 9M12.5 18H20M11 21l5-10 5 10M4 15c2.4 0 5.7-2.2 7-6")}
          />
          <Feature
            title={t("landing.features.privacy.title")}
            body={t("landing.features.privacy.body")}
            icon={icon("M12 15v2m-6 4h12a2 2 0 0 0 2-2v-6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v6a2 2 0 0 0 2 2Zm10-10V7a4 4 0 0 0-8 0v4")}
          />
          <Feature
            title={t("landing.features.api.title")}
            body={t("landing.features.api.body")}
            icon={icon("m8 9-3 3 3 3m8-6 3 3-3 3M14 5l-4 14")}
          />
        </div>
      </Container>
    </>
  );
}

export default function Home({ loaderData }: Route.ComponentProps) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  if (!loaderData.signedIn) return <Landing locale={loaderData.locale} />;
  const { memberships } = loaderData;
  return (
    <Container>
      <title>{t("home.title") + " · " + t("app.name")}</title>
      <PageHeader
        eyebrow={<NamedText k="home.greeting" names={{ name: loaderData.name }} />}
        title={t("home.title")}
        description={t("home.description")}
        actions={<ButtonLink to="/communities/new">{t("home.create")}</ButtonLink>}
      />
      {params.get("deleted") ? (
        <Alert tone="success" className="mb-6">
          {t("home.deleted")}
        </Alert>
      ) : null}
      {memberships.length === 0 ? (
        <EmptyState
          title={t("home.emptyTitle")}
          description={t("home.emptyBody")}
          action={<ButtonLink to="/communities/new">{t("home.createFirst")}</ButtonLink>}
        />
      ) : (
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          {memberships.map((m) => (
            <li key={m.community.id} className="min-w-0">
              <Link to={`/c/${m.community.slug}`} className={cx("group block h-full rounded-2xl", focusRing)}>
                <Card className="h-full transition-shadow group-hover:border-brand-100 group-hover:shadow-md">
                  <div className="flex items-start gap-4">
                    <span aria-hidden="true" className="flex size-12 shrink-0 items-center justify-center rounded-xl bg-brand-600 text-lg font-bold text-white">
                      {firstGrapheme(m.community.name)}
                    </span>
                    <div className="min-w-0">
                      <h2 className="truncate text-base font-semibold text-slate-900 group-hover:text-brand-700">
                        <Name>{m.community.name}</Name>
                      </h2>
                      <p className="truncate text-sm text-slate-600">/c/{m.community.slug}</p>
                      <div className="mt-3 flex flex-wrap gap-2">
                        <Badge tone={m.role === "member" ? "neutral" : "brand"}>{t(`roles.${m.role}`)}</Badge>
                        <Badge>{t(`tiers.${m.tier}`)}</Badge>
                      </div>
                    </div>
                  </div>
                </Card>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Container>
  );
}
