import { useEffect, useRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Form, Link, NavLink, useLocation } from "react-router";
import { locales } from "../i18n";
import { Name } from "./name";
import { NotificationBell } from "./notification-bell";
import { Avatar, cx, focusRing } from "./ui";

export type ShellUser = { id: string; name: string; email: string; emailVerifiedAt: string | Date | null } | null;

export function Logo() {
  const { t } = useTranslation();
  return (
    <Link to="/" className={cx("flex shrink-0 items-center gap-2 rounded-lg", focusRing)} aria-label={t("shell.homeLabel")}>
      <span aria-hidden="true" className="flex size-8 items-center justify-center rounded-lg bg-brand-600 text-white shadow-sm">
        <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M4 11.5 12 5l8 6.5V19a1 1 0 0 1-1 1h-4.5v-5h-5v5H5a1 1 0 0 1-1-1z" />
        </svg>
      </span>
      <span className="whitespace-nowrap text-lg font-bold tracking-tight text-slate-900">{t("app.name")}</span>
    </Link>
  );
}

export function LanguageSwitcher({ locale }: { locale: string }) {
  const { t } = useTranslation();
  const location = useLocation();
  return (
    <Form method="post" action="/lang" className="flex items-center" aria-label={t("shell.language")}>
      <input type="hidden" name="redirectTo" value={location.pathname + location.search} />
      <fieldset className="flex rounded-lg bg-slate-100 p-0.5">
        <legend className="sr-only">{t("shell.language")}</legend>
        {locales.map((code) => (
          <button
            key={code}
            type="submit"
            name="locale"
            value={code}
            lang={code}
            aria-pressed={locale === code}
            className={cx(
              "whitespace-nowrap rounded-md px-2.5 py-1 text-xs font-semibold transition-colors",
              focusRing,
              locale === code ? "bg-white text-slate-900 shadow-sm" : "text-slate-700 hover:text-slate-900",
            )}
          >
            {t(`language.${code}`)}
          </button>
        ))}
      </fieldset>
    </Form>
  );
}

function UserMenu({ user, operator }: { user: NonNullable<ShellUser>; operator: boolean }) {
  const { t } = useTranslation();
  const location = useLocation();
  const menu = useRef<HTMLDetailsElement>(null);
  // a <details> menu works without JavaScript; once hydrated, close it after navigating or on Escape
  useEffect(() => {
    if (menu.current) menu.current.open = false;
  }, [location.key]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && menu.current?.open) {
        menu.current.open = false;
        menu.current.querySelector("summary")?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (menu.current?.open && !menu.current.contains(e.target as Node)) menu.current.open = false;
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("click", onClick);
    };
  }, []);
  const item = cx("block whitespace-nowrap rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 hover:text-slate-900", focusRing);
  return (
    <details ref={menu} className="group relative">
      <summary
        className={cx("flex cursor-pointer list-none items-center gap-1 rounded-full p-0.5 pr-1 hover:bg-slate-100 sm:gap-2 sm:pr-2 [&::-webkit-details-marker]:hidden", focusRing)}
        aria-label={t("shell.accountMenuFor", { name: user.name })}
      >
        <Avatar name={user.name} size="sm" />
        <span className="hidden max-w-32 truncate text-sm font-medium text-slate-800 sm:inline">
          <Name>{user.name}</Name>
        </span>
        <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 text-slate-600 transition-transform group-open:rotate-180" fill="currentColor">
          <path d="M5.25 7.5 10 12.25 14.75 7.5z" />
        </svg>
      </summary>
      <div className="absolute right-0 z-20 mt-2 w-60 rounded-xl border border-slate-200 bg-white p-1.5 shadow-lg">
        <div className="border-b border-slate-100 px-3 pb-2 pt-1.5">
          <p className="truncate text-sm font-semibold text-slate-900">
            <Name>{user.name}</Name>
          </p>
          <p className="truncate text-xs text-slate-600">{user.email}</p>
        </div>
        <nav className="py-1" aria-label={t("shell.accountMenu")}>
          <Link to="/" className={item}>
            {t("shell.yourCommunities")}
          </Link>
          <Link to="/communities/new" className={cx(item, "lg:hidden")}>
            {t("shell.nav.create")}
          </Link>
          <Link to="/settings/profile" className={item}>
            {t("shell.profile")}
          </Link>
          <Link to="/settings/data" className={item}>
            {t("shell.myData")}
          </Link>
          <Link to="/settings/billing" className={item}>
            {t("shell.payments")}
          </Link>
          {operator ? (
            <Link to="/platform/dead-letters" className={cx(item, "border-t border-slate-100")}>
              {t("shell.platformWork")}
            </Link>
          ) : null}
        </nav>
        <Form method="post" action="/logout" className="border-t border-slate-100 pt-1">
          <button type="submit" className={cx(item, "w-full text-left")}>
            {t("shell.signOut")}
          </button>
        </Form>
      </div>
    </details>
  );
}

export function AppShell({
  user,
  locale,
  devMode,
  operator = false,
  unreadNotifications = 0,
  children,
}: {
  user: ShellUser;
  locale: string;
  devMode: boolean;
  /** a platform operator (OPERATOR_EMAILS): the account menu links the platform's background work */
  operator?: boolean;
  unreadNotifications?: number;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const navClass = ({ isActive }: { isActive: boolean }) =>
    cx("shrink-0 whitespace-nowrap rounded-md px-2.5 py-1.5 text-sm font-medium", focusRing, isActive ? "text-brand-700" : "text-slate-700 hover:text-slate-900");
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded-md focus:bg-white focus:px-4 focus:py-2 focus:shadow">
        {t("shell.skip")}
      </a>
      <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur">
        <div className="mx-auto flex h-16 max-w-5xl items-center gap-3 px-4 sm:px-6">
          <Logo />
          {/* below lg the logo, language switcher, bell and account menu leave no room for three
              labels that must stay whole (the body lets words break anywhere): the links live in
              the logo, the account menu and the footer there instead */}
          <nav className="ml-4 hidden shrink-0 items-center gap-1 lg:flex" aria-label={t("shell.mainNav")}>
            <NavLink to="/" end className={navClass}>
              {t("shell.nav.home")}
            </NavLink>
            {user ? (
              <NavLink to="/communities/new" className={navClass}>
                {t("shell.nav.create")}
              </NavLink>
            ) : null}
            <NavLink to="/docs/api" className={navClass}>
              {t("shell.nav.api")}
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-1 sm:gap-3">
            <LanguageSwitcher locale={locale} />
            {user ? <NotificationBell count={unreadNotifications} /> : null}
            {user ? (
              <UserMenu user={user} operator={operator} />
            ) : (
              <>
                <Link to="/login" className={cx("hidden whitespace-nowrap rounded-md px-2 py-1.5 text-sm font-semibold text-slate-800 hover:text-slate-950 sm:block", focusRing)}>
                  {t("shell.signIn")}
                </Link>
                <Link
                  to="/signup"
                  className={cx("shrink-0 whitespace-nowrap rounded-lg bg-brand-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-brand-700", focusRing)}
                >
                  {t("shell.signUp")}
                </Link>
              </>
            )}
          </div>
        </div>
      </header>
      {user && !user.emailVerifiedAt ? (
        <div className="border-b border-amber-200 bg-amber-50">
          <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2.5 text-sm text-amber-950 sm:px-6" role="status">
            <p>
              <span className="font-semibold">{t("verifyBanner.title")}</span> {t("verifyBanner.body", { email: user.email })}
            </p>
            <div className="flex items-center gap-3">
              {devMode ? (
                <Link to="/dev/outbox" className={cx("whitespace-nowrap rounded font-semibold underline underline-offset-2", focusRing)}>
                  {t("verifyBanner.devOutbox")}
                </Link>
              ) : null}
              <Form method="post" action="/verify-email">
                <input type="hidden" name="intent" value="resend" />
                <button type="submit" className={cx("whitespace-nowrap rounded font-semibold underline underline-offset-2", focusRing)}>
                  {t("verifyBanner.resend")}
                </button>
              </Form>
            </div>
          </div>
        </div>
      ) : null}
      <main id="main" className="flex-1">
        {children}
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-col gap-2 px-4 py-6 text-sm text-slate-600 sm:flex-row sm:items-center sm:justify-between sm:px-6">
          <p>{t("shell.footer")}</p>
          <nav className="flex gap-4" aria-label={t("shell.footerNav")}>
            <Link to="/docs/api" className={cx("whitespace-nowrap rounded hover:text-slate-900", focusRing)}>
              {t("shell.nav.api")}
            </Link>
            {devMode ? (
              <Link to="/dev/outbox" className={cx("whitespace-nowrap rounded hover:text-slate-900", focusRing)}>
                {t("shell.nav.outbox")}
              </Link>
            ) : null}
          </nav>
        </div>
      </footer>
    </div>
  );
}
