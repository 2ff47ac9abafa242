// The user resource: one schema, with the request bodies derived from its fields.
import { z } from "@hono/zod-openapi";
import { notificationPrefKeys } from "../account/user-view";
import { PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, UPLOAD_URL_PREFIX } from "../../lib/vocabulary";
import { locales } from "../../lib/locale";
import { consentPurposes } from "../../db/schema";
import { Id, IsoDate, NameField } from "./common";

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: "Enter a valid email address." }))
  .openapi({ example: "mei@example.com" });
export const Password = z
  .string()
  .min(PASSWORD_MIN_CHARS, { message: `Use at least ${PASSWORD_MIN_CHARS} characters.` })
  .max(PASSWORD_MAX_CHARS, { message: `Use at most ${PASSWORD_MAX_CHARS} characters.` });
export const Locale = z.enum(locales).openapi({ description: "Language of mail and the interface" });
/**
 * The zone in its IANA capitalisation ("pacific/kiritimati" → "Pacific/Kiritimati": zone names
 * match case-insensitively, so any case is accepted and one is stored). Only the case changes: a
 * zone the runtime knows by another name (its ICU data says "Europe/Kiev" for "Europe/Kyiv") is
 * kept as the member chose it.
 */
const canonicalTimeZone = (zone: string) => {
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
  } catch {
    return zone;
  }
};

export const TimeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, { message: "Use an IANA time zone such as Asia/Taipei.", params: { reason: "time_zone" } })
  .overwrite(canonicalTimeZone)
  .openapi({ example: "Asia/Taipei" });

const NotificationPrefs = z
  .object(Object.fromEntries(notificationPrefKeys.map((key) => [key, z.boolean()])) as Record<
    (typeof notificationPrefKeys)[number],
    z.ZodBoolean
  >)
  .openapi({ description: "Which notifications and mails the user wants" });

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: NameField(80),
    bio: z.string().max(2000),
    avatarUrl: z
      .string()
      .max(300)
      .refine((url) => url.startsWith(UPLOAD_URL_PREFIX) && !url.includes(".."), {
        message: `Upload the image first and use its ${UPLOAD_URL_PREFIX}... URL.`,
        params: { reason: "not_your_upload" },
      })
      .nullable(),
    locale: Locale,
    timezone: TimeZone,
    notificationPrefs: NotificationPrefs,
    emailVerified: z.boolean(),
    createdAt: IsoDate,
  })
  .openapi("User");

export const UserAnswer = z.object({ user: UserSchema });

export const SignupBody = UserSchema.pick({ name: true })
  .extend({ email: Email, password: Password, locale: Locale.optional(), timezone: TimeZone.optional() })
  .openapi("SignupBody");

export const LoginBody = z.object({ email: Email, password: z.string().min(1).max(200) }).openapi("LoginBody");

/** A token from a mailed link (verification, password reset). */
const Token = z.string().min(1).max(200);
export const PasswordResetBody = z.object({ email: Email });
export const PasswordResetConfirmBody = z.object({ token: Token, password: Password });
export const VerifyEmailBody = z.object({ token: Token });

export const ProfilePatch = UserSchema.pick({
  name: true,
  bio: true,
  avatarUrl: true,
  locale: true,
  timezone: true,
})
  .extend({ notificationPrefs: NotificationPrefs.partial().strict() })
  .partial()
  .openapi("ProfilePatch");

export const CommunityRef = z.object({ id: z.string(), slug: z.string(), name: z.string() }).openapi("CommunityRef");
export const ConsentSchema = z
  .object({
    community: CommunityRef,
    purpose: z.enum(consentPurposes),
    granted: z.boolean(),
    at: IsoDate.nullable().openapi({ description: "When it was last set; null when never asked" }),
  })
  .openapi("Consent");
/** PUT /me/consents */
export const ConsentChanges = z
  .object({
    items: z
      .array(
        ConsentSchema.pick({ purpose: true, granted: true }).extend({
          community: z.string().min(1).max(100).openapi({ description: "Community slug or id" }),
        }),
      )
      .max(100),
  })
  .openapi("ConsentChanges");
/** DELETE /me: the password again, so a left-open session cannot erase the account. */
export const EraseAccountBody = z.object({ password: z.string().min(1).max(200) });
/** POST /me/notifications/read */
export const MarkReadBody = z
  .object({ ids: z.array(Id).max(100).optional().openapi({ description: "Omit to mark all read" }) })
  .openapi("MarkNotificationsRead");
