import { useTranslation } from "react-i18next";
import { Name } from "./name";
import { NavLink } from "react-router";
import type { Community, Viewer } from "../lib/types";
import { Badge, cx, firstGrapheme, focusRing } from "./ui";
import { usePresence } from "../lib/presence-socket";
import { isConversationId } from "../../durable-objects/protocol";

export function CommunityHeader({ community, viewer }: { community: Community; viewer: Viewer | null }) {
  const { t } = useTranslation();
  // every community page of a member holds the presence socket: it is what "online" means (ADR 033)
  const presence = usePresence(community.slug, viewer !== null);
  const dmUnread = [...presence.unread].reduce((sum, [channelId, unread]) => (isConversationId(channelId) ? sum + unread : sum), 0);
  const may = (action: Viewer["permissions"][number]) => viewer?.permissions.includes(action) ?? false;
  const tabs = [
    { to: `/c/${community.slug}`, label: t("community.tabs.home"), end: true, show: true },
    { to: `/c/${community.slug}/search`, label: t("community.tabs.search"), show: may("community.search") },
    // every member may read the member list (GET /communities/{slug}/members); the controls are per row
    { to: `/c/${community.slug}/members`, label: t("community.tabs.members"), show: viewer !== null },
    // the member's DMs, with what is unread in them (the presence socket's counts, ADR 033)
    { to: `/c/${community.slug}/messages`, label: dmUnread > 0 ? t("dm.tabUnread", { count: dmUnread }) : t("dm.title"), show: viewer !== null },
    // moderators hand out free invites; the page offers paid tiers only with invite.create.paid
    { to: `/c/${community.slug}/invites`, label: t("community.tabs.invites"), show: may("invite.create") },
    // the member's plan and upgrades (issue 14); the revenue figures are the owner's (tiers.update)
    { to: `/c/${community.slug}/billing`, label: t("community.tabs.plan"), show: viewer !== null },
    { to: `/c/${community.slug}/revenue`, label: t("community.tabs.revenue"), show: may("tiers.update") },
    { to: `/c/${community.slug}/settings`, label: t("community.tabs.settings"), show: may("community.update") },
  ].filter((tab) => tab.show);
  return (
    <div className="border-b border-slate-200 bg-white">
      <div className="mx-auto max-w-5xl px-4 pt-8 sm:px-6">
        <div className="flex items-start gap-4">
          <span aria-hidden="true" className="flex size-14 shrink-0 items-center justify-center rounded-2xl bg-brand-600 text-2xl font-bold text-white shadow-sm">
            {firstGrapheme(community.name)}
          </span>
          <div className="min-w-0">
            <h1 className="line-clamp-2 text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl" title={community.name}>
              <Name>{community.name}</Name>
            </h1>
            <div className="mt-1.5 flex flex-wrap items-center gap-2 text-sm text-slate-600">
              <Badge tone={community.visibility === "public" ? "success" : "neutral"}>{t(`visibility.${community.visibility}`)}</Badge>
              <span>{t("community.memberCount", { count: community.memberCount })}</span>
              {viewer ? <Badge tone="brand">{t(`roles.${viewer.role}`)}</Badge> : null}
              {presence.unreadTotal > 0 ? (
                <Badge tone="brand">
                  <span data-testid="unread-total">{t("chat.unreadTotal", { count: presence.unreadTotal })}</span>
                </Badge>
              ) : null}
            </div>
          </div>
        </div>
        {tabs.length > 1 ? (
          // the tabs wrap onto a second row on a phone rather than scroll: a clipped tab (the owner's
          // eight, in zh-Hant at 375 px) gave no sign that more lay beyond the edge
          <nav className="-mb-px mt-6 flex flex-wrap gap-x-1 sm:flex-nowrap sm:overflow-x-auto" aria-label={t("community.tabsLabel")}>
            {tabs.map((tab) => (
              <NavLink
                key={tab.to}
                to={tab.to}
                end={tab.end}
                className={({ isActive }) =>
                  cx(
                    "shrink-0 whitespace-nowrap rounded-t-md border-b-2 px-2 py-2.5 text-sm font-semibold sm:px-3",
                    focusRing,
                    isActive ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
                  )
                }
              >
                {tab.label}
              </NavLink>
            ))}
          </nav>
        ) : (
          <div className="h-6" />
        )}
      </div>
    </div>
  );
}
