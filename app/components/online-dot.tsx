// The online dot on a member's avatar (ADR 033): green while online, nothing otherwise; the state
// is spoken as text for screen readers, not left to the colour.
import { useTranslation } from "react-i18next";

export function OnlineDot({ online }: { online: boolean }) {
  const { t } = useTranslation();
  if (!online) return <span className="sr-only">{t("members.offline")}</span>;
  return (
    <>
      <span aria-hidden="true" data-testid="online-dot" className="absolute -bottom-0.5 -right-0.5 size-3 rounded-full bg-emerald-500 ring-2 ring-white" />
      <span className="sr-only">{t("members.online")}</span>
    </>
  );
}
