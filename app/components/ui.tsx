// Enclave's small design system: Tailwind only, 4-point spacing, visible focus rings, AA contrast.
import { forwardRef, useId, type ComponentPropsWithoutRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, type LinkProps } from "react-router";
import { issueText, type FieldIssue } from "../lib/issues";
import { DELETED_MEMBER_NAME } from "../../workers/lib/vocabulary";

export function cx(...parts: Array<string | false | null | undefined>) {
  return parts.filter(Boolean).join(" ");
}

export const focusRing =
  "focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 focus-visible:ring-offset-2 focus-visible:ring-offset-white";

type Variant = "primary" | "secondary" | "ghost" | "danger";
type Size = "sm" | "md" | "lg";

const variants: Record<Variant, string> = {
  primary: "bg-brand-600 text-white shadow-sm hover:bg-brand-700 disabled:bg-brand-600/60",
  secondary: "bg-white text-slate-800 ring-1 ring-inset ring-slate-300 shadow-sm hover:bg-slate-50",
  ghost: "text-slate-700 hover:bg-slate-100 hover:text-slate-900",
  danger: "bg-red-700 text-white shadow-sm hover:bg-red-800",
};
const sizes: Record<Size, string> = {
  sm: "h-8 px-3 text-sm gap-1.5",
  md: "h-10 px-4 text-sm gap-2",
  lg: "h-12 px-6 text-base gap-2",
};

export function buttonClass(variant: Variant = "primary", size: Size = "md", extra?: string) {
  return cx(
    "inline-flex shrink-0 items-center justify-center whitespace-nowrap rounded-lg font-semibold transition-colors disabled:cursor-not-allowed",
    variants[variant],
    sizes[size],
    focusRing,
    extra,
  );
}

export const Button = forwardRef<HTMLButtonElement, ComponentPropsWithoutRef<"button"> & { variant?: Variant; size?: Size }>(
  function Button({ variant = "primary", size = "md", className, type = "button", ...props }, ref) {
    return <button ref={ref} type={type} className={buttonClass(variant, size, className)} {...props} />;
  },
);

export function ButtonLink({ variant = "primary", size = "md", className, ...props }: LinkProps & { variant?: Variant; size?: Size }) {
  return <Link className={buttonClass(variant, size, className)} {...props} />;
}

export function TextLink({ className, ...props }: LinkProps) {
  return (
    <Link
      className={cx("rounded font-medium text-brand-700 underline-offset-2 hover:underline", focusRing, className)}
      {...props}
    />
  );
}

const controlClass = (invalid: boolean) =>
  cx(
    "block w-full rounded-lg border bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-500 disabled:cursor-not-allowed disabled:bg-slate-100 disabled:text-slate-700",
    "focus:outline-none focus:ring-2 focus:ring-offset-0",
    invalid ? "border-red-600 focus:border-red-600 focus:ring-red-600/30" : "border-slate-300 focus:border-brand-600 focus:ring-brand-600/30",
  );

/** error: a message, or an API issue shown in the reader's language (lib/issues.ts) */
type FieldProps = { label: ReactNode; hint?: ReactNode; error?: string | FieldIssue | null; className?: string };

function FieldShell({
  id,
  label,
  hint,
  error,
  className,
  children,
}: FieldProps & { id: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className={cx("space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {hint && !error ? (
        <p id={`${id}-hint`} className="text-sm text-slate-600">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="text-sm font-medium text-red-700" role="alert">
          {issueText(t, error)}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: ReactNode, error: FieldProps["error"]) {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

export function Field({ label, hint, error, className, id, ...props }: FieldProps & ComponentPropsWithoutRef<"input">) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <FieldShell id={inputId} label={label} hint={hint} error={error} className={className}>
      <input
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(inputId, hint, error)}
        className={controlClass(Boolean(error))}
        {...props}
      />
    </FieldShell>
  );
}

export function TextareaField({ label, hint, error, className, id, ...props }: FieldProps & ComponentPropsWithoutRef<"textarea">) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <FieldShell id={inputId} label={label} hint={hint} error={error} className={className}>
      <textarea
        id={inputId}
        rows={4}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(inputId, hint, error)}
        className={controlClass(Boolean(error))}
        {...props}
      />
    </FieldShell>
  );
}

export function SelectField({
  label,
  hint,
  error,
  className,
  id,
  children,
  ...props
}: FieldProps & ComponentPropsWithoutRef<"select">) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <FieldShell id={inputId} label={label} hint={hint} error={error} className={className}>
      <select
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(inputId, hint, error)}
        className={cx(controlClass(Boolean(error)), "pr-8")}
        {...props}
      >
        {children}
      </select>
    </FieldShell>
  );
}

export function Checkbox({ label, hint, id, ...props }: { label: ReactNode; hint?: ReactNode } & ComponentPropsWithoutRef<"input">) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <div className="flex items-start gap-3">
      <input
        id={inputId}
        type="checkbox"
        className="mt-0.5 size-4 shrink-0 rounded border-slate-400 text-brand-600 accent-brand-600 focus:ring-2 focus:ring-brand-600"
        aria-describedby={hint ? `${inputId}-hint` : undefined}
        {...props}
      />
      <div className="text-sm">
        <label htmlFor={inputId} className="font-medium text-slate-800">
          {label}
        </label>
        {hint ? (
          <p id={`${inputId}-hint`} className="text-slate-600">
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}

export function Card({ className, children, ...props }: ComponentPropsWithoutRef<"section">) {
  return (
    <section className={cx("rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6", className)} {...props}>
      {children}
    </section>
  );
}

export function CardTitle({ children, description, action }: { children: ReactNode; description?: ReactNode; action?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        <h2 className="text-base font-semibold text-slate-900">{children}</h2>
        {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      </div>
      {action}
    </div>
  );
}

export function PageHeader({
  title,
  description,
  actions,
  eyebrow,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  eyebrow?: ReactNode;
}) {
  return (
    <header className="mb-8 flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        {eyebrow ? <div className="mb-2 text-sm font-medium text-brand-700">{eyebrow}</div> : null}
        <h1 className="text-balance text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
        {description ? <p className="mt-2 max-w-2xl text-base text-slate-600">{description}</p> : null}
      </div>
      {/* the actions keep their width; the title shrinks and wraps (a long unbroken name would
          otherwise squeeze this box and push a shrink-0 button past the page edge at sm–md) */}
      {actions ? <div className="flex flex-wrap gap-2 sm:shrink-0">{actions}</div> : null}
    </header>
  );
}

export function EmptyState({ title, description, action, icon }: { title: ReactNode; description?: ReactNode; action?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="flex flex-col items-center rounded-2xl border border-dashed border-slate-300 bg-white px-6 py-12 text-center">
      <div className="mb-4 flex size-12 items-center justify-center rounded-full bg-brand-50 text-brand-700" aria-hidden="true">
        {icon ?? (
          <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" className="size-6">
            <path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm13 10v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        )}
      </div>
      <h3 className="text-base font-semibold text-slate-900">{title}</h3>
      {description ? <p className="mt-1 max-w-sm text-sm text-slate-600">{description}</p> : null}
      {action ? <div className="mt-6">{action}</div> : null}
    </div>
  );
}

type Tone = "neutral" | "brand" | "success" | "warning" | "danger";
const badgeTones: Record<Tone, string> = {
  neutral: "bg-slate-100 text-slate-700 ring-slate-300",
  brand: "bg-brand-50 text-brand-700 ring-brand-100",
  success: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  warning: "bg-amber-50 text-amber-900 ring-amber-200",
  danger: "bg-red-50 text-red-800 ring-red-200",
};

export function Badge({ tone = "neutral", children, className }: { tone?: Tone; children: ReactNode; className?: string }) {
  return (
    <span className={cx("inline-flex max-w-full items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset", badgeTones[tone], className)}>
      {typeof children === "string" ? <span className="truncate">{children}</span> : children}
    </span>
  );
}

const avatarColours = ["bg-indigo-700", "bg-emerald-700", "bg-rose-700", "bg-sky-700", "bg-amber-800", "bg-violet-700", "bg-teal-700"];

// one segmenter for the module: building it loads the locale's break rules
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The first user-perceived character (grapheme cluster) of `text`, upper-cased when that stays one
 * character: "élan" → "É", "🎉 Party" → "🎉", "👩‍👩‍👧" → the whole family, "𝒜lice" → "𝒜" (never half a
 * surrogate pair, which would show as U+FFFD). "" for empty text.
 */
export function firstGrapheme(text: string): string {
  const first = graphemes.segment(text.trim())[Symbol.iterator]().next().value?.segment ?? "";
  const upper = first.toUpperCase();
  // "ß" → "SS" would read as two initials
  return [...graphemes.segment(upper)].length === 1 ? upper : first;
}

/**
 * Avatar initials of a display name: the first characters (grapheme clusters) of its first and
 * last words, or one character for a name that starts with a Han character (CJK names read best
 * as their first character), "?" for a blank name. "Ada Lovelace" → "AL", "🎉 Party" → "🎉P".
 */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = firstGrapheme(parts[0]);
  if (/^\p{Script=Han}/u.test(first)) return first;
  return first + (parts.length > 1 ? firstGrapheme(parts[parts.length - 1]) : "");
}

export function Avatar({ name, src, size = "md" }: { name: string; src?: string | null; size?: "sm" | "md" | "lg" | "xl" }) {
  const dims = { sm: "size-8 text-xs", md: "size-10 text-sm", lg: "size-14 text-lg", xl: "size-20 text-2xl" }[size];
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  if (src) return <img src={src} alt="" className={cx(dims, "shrink-0 rounded-full object-cover ring-2 ring-white")} />;
  // the initials are drawn by CSS, not text: an avatar inside a link or menu button adds nothing to
  // its visible text, so that text stays inside the accessible name (WCAG 2.5.3 label in name)
  return (
    <span
      aria-hidden="true"
      // an erased account has no initials of its own to show
      data-initials={name === DELETED_MEMBER_NAME ? "?" : initials(name)}
      className={cx(dims, avatarColours[hash % avatarColours.length], "inline-flex shrink-0 items-center justify-center rounded-full font-semibold text-white ring-2 ring-white before:content-[attr(data-initials)]")}
    />
  );
}

const alertTones = {
  info: "border-sky-200 bg-sky-50 text-sky-900",
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
  danger: "border-red-200 bg-red-50 text-red-900",
} as const;

export function Alert({
  tone = "info",
  title,
  children,
  className,
}: {
  tone?: keyof typeof alertTones;
  title?: ReactNode;
  children?: ReactNode;
  className?: string;
}) {
  return (
    <div role={tone === "danger" ? "alert" : "status"} className={cx("rounded-xl border px-4 py-3 text-sm", alertTones[tone], className)}>
      {title ? <p className="font-semibold">{title}</p> : null}
      {children ? <div className={title ? "mt-1" : undefined}>{children}</div> : null}
    </div>
  );
}

/**
 * A list whose API call failed: says so and offers the same URL again, instead of an empty state
 * that would claim there is nothing. `message` names what failed ("Comments could not be loaded.");
 * "Try again" loads the same URL afresh.
 */
export function LoadError({ message, className }: { message: ReactNode; className?: string }) {
  const { t } = useTranslation();
  const location = useLocation();
  const retryTo = location.pathname + location.search;
  return (
    <Alert tone="danger" title={message} className={className}>
      <p>
        {t("loadError.body")}{" "}
        <Link to={retryTo} reloadDocument className={cx("rounded font-semibold underline underline-offset-2", focusRing)}>
          {t("loadError.retry")}
        </Link>
      </p>
    </Alert>
  );
}

export function Container({ children, size = "lg", className }: { children: ReactNode; size?: "sm" | "md" | "lg"; className?: string }) {
  const width = { sm: "max-w-md", md: "max-w-3xl", lg: "max-w-5xl" }[size];
  return <div className={cx("mx-auto w-full px-4 py-8 sm:px-6 sm:py-12", width, className)}>{children}</div>;
}
