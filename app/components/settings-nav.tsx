import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import { cx, focusRing } from "./ui";

export function SettingsNav() {
  const { t } = useTranslation();
  const item = ({ isActive }: { isActive: boolean }) =>
    cx("shrink-0 whitespace-nowrap rounded-lg px-3 py-1.5 text-sm font-semibold", focusRing, isActive ? "bg-white text-slate-900 shadow-sm" : "text-slate-700 hover:text-slate-900");
  return (
    <nav className="mb-6 inline-flex rounded-xl bg-slate-200/70 p-1" aria-label={t("settingsNav.label")}>
      <NavLink to="/settings/profile" className={item}>
        {t("settingsNav.profile")}
      </NavLink>
      <NavLink to="/settings/data" className={item}>
        {t("settingsNav.data")}
      </NavLink>
      <NavLink to="/settings/billing" className={item}>
        {t("settingsNav.billing")}
      </NavLink>
    </nav>
  );
}
