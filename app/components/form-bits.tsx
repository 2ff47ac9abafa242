import { useTranslation } from "react-i18next";
import { useNavigation } from "react-router";
import { Alert, Button } from "./ui";
import type { ComponentPropsWithoutRef } from "react";
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
