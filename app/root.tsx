import { useEffect, useMemo } from "react";
import { I18nextProvider, useTranslation } from "react-i18next";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useLocation, useRouteLoaderData } from "react-router";
import type { Route } from "./+types/root";
import { AppShell } from "./components/app-shell";
import { ButtonLink, Container } from "./components/ui";
import { cloudflareContext } from "./context";
import { createI18n, defaultLocale, isLocale, type Locale } from "./i18n";
import { findLocale } from "./i18n/locale.server";
import { countUnread } from "../workers/domain/notifications/list";
import { isDevMode, isPlatformOperator } from "./lib/forms.server";
import { readerTimeZone } from "./lib/time-zone.server";
import { useTimeZoneCookie } from "./components/local-time";
import "./app.css";

export async function loader({ context, request }: Route.LoaderArgs) {
  const cf = context.get(cloudflareContext);
  const { nonce, user } = cf;
  // one indexed count for the bell; a failure only hides the number
  const unread = user ? await countUnread(cf.env, user.id).catch(() => 0) : 0;
  const zone = readerTimeZone(request, user);
  return {
    unreadNotifications: unread,
    nonce,
    locale: findLocale(request, user),
    timeZone: zone.timeZone,
    timeZoneKnown: zone.known,
    // relative times ("3 hours ago") on the first render count from this instant, here and in the browser
    now: Date.now(),
    devMode: isDevMode(cf, request),
    operator: isPlatformOperator(cf),
    user: user
      ? { id: user.id, name: user.name, email: user.email, emailVerifiedAt: user.emailVerifiedAt ? new Date(user.emailVerifiedAt).toISOString() : null }
      : null,
  };
}

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const nonce = data?.nonce;
  const locale: Locale = isLocale(data?.locale) ? data.locale : defaultLocale;
  // a fresh instance per server render (per request); in the browser one per chosen locale
  const i18n = useMemo(() => createI18n(locale), [locale]);
  useTimeZoneCookie();
  // hydrated: the page's controls answer now (browser tests wait for this mark, not for time)
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#4f46e5" />
        <link rel="icon" href="/favicon.ico" sizes="32x32" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
        <link rel="manifest" href="/manifest.webmanifest" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <I18nextProvider i18n={i18n}>
          <AppShell user={data?.user ?? null} locale={locale} devMode={data?.devMode ?? false} operator={data?.operator ?? false} unreadNotifications={data?.unreadNotifications ?? 0}>
            {children}
          </AppShell>
        </I18nextProvider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const { t } = useTranslation();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  if (status !== 404 && !isRouteErrorResponse(error)) console.error(error);
  const kind = status === 404 ? "notFound" : status === 403 ? "forbidden" : status === 400 ? "badRequest" : "server";
  const root = useRouteLoaderData<typeof loader>("root");
  const signedOut = root !== undefined && root.user === null;
  const location = useLocation();
  return (
    <Container size="sm" className="py-20 text-center">
      <title>{t(`errorPage.${kind}.title`)}</title>
      <p className="text-sm font-semibold text-brand-700">{status}</p>
      <h1 className="mt-2 text-3xl font-bold tracking-tight text-slate-900">{t(`errorPage.${kind}.title`)}</h1>
      <p className="mt-3 text-base text-slate-600">{t(`errorPage.${kind}.body`)}</p>
      <div className="mt-8 flex flex-wrap justify-center gap-3">
        {/* a signed-out visitor of a members' link (404 tells nothing of whether it exists) signs in and comes back */}
        {signedOut && (status === 404 || status === 403) ? <ButtonLink to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}>{t("errorPage.signIn")}</ButtonLink> : null}
        <ButtonLink to="/" variant={signedOut && (status === 404 || status === 403) ? "secondary" : undefined}>
          {t("errorPage.home")}
        </ButtonLink>
      </div>
    </Container>
  );
}
