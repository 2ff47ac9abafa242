import { useTranslation } from "react-i18next";
import { Form, useNavigation } from "react-router";
import { Alert, Button, buttonClass, cx } from "./ui";
import { useDismissable } from "./discussions";
import type { ComponentPropsWithoutRef, ReactNode } from "react";
import { formErrorText, issueText, type FieldIssue } from "../lib/issues";

/** A field error is the API's issue (translated where shown) or a message the UI wrote itself. */
export type ClientFormErrors = { fields: Record<string, FieldIssue | string>; form: string | null; code: string | null; maxChars?: number; reason?: string };

/** The form-level API error, in the reader's language when we know the code. */
/**
 * The form's error. A field error is left to its field, except for `unshown` fields that the form
 * has no input for (a reply's `parentId`): that one is said for the form.
 */
export function FormError({ errors, unshown = [] }: { errors?: ClientFormErrors | null; unshown?: string[] }) {
  const { t } = useTranslation();
  if (!errors) return null;
  const orphan = unshown.map((name) => errors.fields[name]).find(Boolean);
  if (!orphan && ((!errors.form && !errors.code) || Object.keys(errors.fields).length > 0)) return null;
  const text = orphan ? issueText(t, orphan) : formErrorText(t, errors);
  return (
    <Alert tone="danger" className="mb-4">
      {text}
    </Alert>
  );
}

export function SubmitButton({
  children,
  intent,
  pendingLabel,
  ...props
}: ComponentPropsWithoutRef<typeof Button> & { intent?: string; pendingLabel?: string }) {
  const navigation = useNavigation();
  const { t } = useTranslation();
  const busy =
    navigation.state === "submitting" && (intent === undefined || navigation.formData?.get("intent") === intent);
  return (
    <Button type="submit" name={intent ? "intent" : undefined} value={intent} disabled={busy} aria-busy={busy || undefined} {...props}>
      {busy ? (pendingLabel ?? t("common.working")) : children}
    </Button>
  );
}

/**
 * A small "are you sure?" that works without JavaScript: a disclosure whose summary reads `label`
 * and opens `question` with the real (danger) button `confirm`, submitting `intent` with the
 * hidden fields given as children. `note` says what else follows (a plan that stops renewing),
 * under the question, and widens the panel. Outside clicks and Escape close it (useDismissable).
 */
export function ConfirmAction({ label, labelAria, question, intent, confirm, children, note }: {
  label: string;
  /** the summary's accessible name when `label` alone is ambiguous ("Block" → "Block Mei Lin") */
  labelAria?: string;
  question: string;
  intent: string;
  confirm: string;
  children?: ReactNode;
  note?: ReactNode;
}) {
  const menu = useDismissable();
  return (
    <details ref={menu} className="group relative">
      <summary aria-label={labelAria} className={cx(buttonClass("ghost", "sm"), "cursor-pointer list-none text-red-700! hover:bg-red-50 hover:text-red-800 [&::-webkit-details-marker]:hidden")}>
        {label}
      </summary>
      {/* on a phone the question spans the screen at its bottom, wherever the button sits in its row: a fixed box
          left at its place in the flow lands where that place was before scrolling, off screen on a long page */}
      <Form method="post" className={cx("absolute right-0 z-20 mt-2 space-y-3 rounded-xl border border-slate-200 bg-white p-3 text-left shadow-lg max-sm:fixed max-sm:inset-x-4 max-sm:bottom-4 max-sm:w-auto", note ? "w-80" : "w-64")}>
        {children}
        <p className="text-sm text-slate-800">{question}</p>
        {note ? <div className="space-y-2 text-sm text-slate-700">{note}</div> : null}
        <div className="flex justify-end">
          <SubmitButton intent={intent} variant="danger" size="sm">
            {confirm}
          </SubmitButton>
        </div>
      </Form>
    </details>
  );
}
