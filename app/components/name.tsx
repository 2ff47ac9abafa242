// Every name a person typed (people, communities, spaces, tiers) is shown isolated: a name that
// is Arabic or ends in U+202E (RIGHT-TO-LEFT OVERRIDE) must not reorder the text after it.
// <bdi> is the HTML element for that (Unicode bidi isolation, UAX #9 FSI…PDI).
import { Fragment, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { cx } from "./ui";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";

/**
 * A user-supplied name in its own <bdi>; long unbroken names wrap instead of widening the page. An
 * erased account's name (the API's DELETED_MEMBER_NAME) is said in the page's language.
 */
export function Name({ children, className }: { children: string; className?: string }) {
  const { t } = useTranslation();
  return <bdi className={cx("[overflow-wrap:anywhere]", className)}>{children === DELETED_MEMBER_NAME ? t("common.deletedMember") : children}</bdi>;
}

/**
 * `t(k, values)` where each entry of `names` is a user-supplied name rendered in a <Name>:
 * <NamedText k="community.welcomeTitle" names={{ name: community.name }} />. Translations keep
 * their plain `{{name}}` placeholders.
 */
export function NamedText({ k, values, names }: { k: string; values?: Record<string, unknown>; names: Record<string, string> }) {
  const { t } = useTranslation();
  const keys = Object.keys(names);
  // a marker no translation contains stands in for each name, then the text is split around it
  const marks = Object.fromEntries(keys.map((key, i) => [key, `\u0000${i}\u0000`]));
  const text = t(k, { ...values, ...marks });
  const parts = text.split(/\u0000(\d+)\u0000/);
  const out: ReactNode[] = parts.map((part, i) => (i % 2 === 0 ? part : <Name key={i}>{names[keys[Number(part)]] ?? ""}</Name>));
  return <Fragment>{out}</Fragment>;
}

/** `text` (already written, e.g. a notification from the API) with each occurrence of `names` isolated. */
export function IsolateNames({ text, names }: { text: string; names: Array<string | null | undefined> }) {
  const wanted = names.filter((n): n is string => Boolean(n));
  if (wanted.length === 0) return <>{text}</>;
  const escaped = wanted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
  const parts = text.split(new RegExp(`(${escaped.join("|")})`));
  return <>{parts.map((part, i) => (i % 2 === 1 ? <Name key={i}>{part}</Name> : part))}</>;
}
