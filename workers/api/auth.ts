// /auth: sign-up, sign-in, sign-out, email verification and password reset.
import { createRoute, z } from "@hono/zod-openapi";
import { logIn, logOut } from "../domain/auth/login";
import { confirmPasswordReset, requestPasswordReset } from "../domain/auth/password-reset";
import { signUp } from "../domain/auth/signup";
import { resendVerification, verifyEmail } from "../domain/auth/verify-email";
import { errorResponses } from "../domain/schemas/common";
import { LoginBody, PasswordResetBody, PasswordResetConfirmBody, SignupBody, UserAnswer, VerifyEmailBody } from "../domain/schemas/user";
import { createRouter, requireUser } from "./factory";
import { clearSessionCookie, clientIp, mailOrigin, setSessionCookie } from "./session-cookie";

export const auth = createRouter();

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const userAnswer = (description: string) => ({ description, content: { "application/json": { schema: UserAnswer } } });

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/signup",
    tags: ["auth"],
    summary: "Create an account, sign in, and mail a verification link",
    request: { body: json(SignupBody) },
    responses: { 201: userAnswer("Signed up; the session cookie is set"), ...errorResponses(400, 409, 415, 429) },
  }),
  async (c) => {
    const { user, session } = await signUp(c.env, c.req.valid("json"), {
      acceptLanguage: c.req.header("Accept-Language"),
      origin: mailOrigin(c),
      ip: clientIp(c),
    });
    setSessionCookie(c, session.token);
    return c.json({ user }, 201);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/login",
    tags: ["auth"],
    summary: "Sign in with email and password",
    request: { body: json(LoginBody) },
    responses: {
      200: userAnswer("Signed in; the session cookie is set"),
      // 401 is invalid_credentials, the same for an unknown email and a wrong password
      ...errorResponses(400, 401, 415, 429),
    },
  }),
  async (c) => {
    const { user, session } = await logIn(c.env, c.req.valid("json"), clientIp(c));
    setSessionCookie(c, session.token);
    return c.json({ user }, 200);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/logout",
    tags: ["auth"],
    summary: "Sign out this browser (ends the session, clears the cookie)",
    responses: { 204: { description: "Signed out (also when no one was signed in)" } },
  }),
  async (c) => {
    await logOut(c.env, await c.get("reader").session());
    clearSessionCookie(c);
    return c.body(null, 204);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/password-reset",
    tags: ["auth"],
    summary: "Mail a password reset link (answers the same whether the account exists or not)",
    request: { body: json(PasswordResetBody) },
    responses: { 202: { description: "Accepted" }, ...errorResponses(400, 415, 429) },
  }),
  async (c) => {
    await requestPasswordReset(c.env, c.req.valid("json").email, { ip: clientIp(c), origin: mailOrigin(c) });
    return c.body(null, 202);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/password-reset/confirm",
    tags: ["auth"],
    summary: "Set a new password with the mailed token; signs out every session",
    request: { body: json(PasswordResetConfirmBody) },
    responses: {
      204: { description: "Password changed" },
      ...errorResponses(400, 415),
    },
  }),
  async (c) => {
    await confirmPasswordReset(c.env, c.req.valid("json"));
    return c.body(null, 204);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/verify-email",
    tags: ["auth"],
    summary: "Confirm the email address with the mailed token",
    request: { body: json(VerifyEmailBody) },
    responses: { 204: { description: "Verified" }, ...errorResponses(400, 415) },
  }),
  async (c) => {
    await verifyEmail(c.env, c.req.valid("json").token);
    return c.body(null, 204);
  },
);

auth.openapi(
  createRoute({
    method: "post",
    path: "/auth/verify-email/resend",
    tags: ["auth"],
    summary: "Mail a new verification link to the signed-in user (nothing when already verified)",
    responses: { 202: { description: "Accepted" }, ...errorResponses(401, 429) },
  }),
  async (c) => {
    const user = await requireUser(c);
    await resendVerification(c.env, user.id, mailOrigin(c));
    return c.body(null, 202);
  },
);
