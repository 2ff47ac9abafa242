// The page CSP lets billing pages send a member to Stripe's checkout and portal (and to the
// stand-in when it is the configured Stripe), and no other page (ADR 037).
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createWorkerApp } from "../../workers/server";

const formAction = (res: Response) => /form-action ([^;]*)/.exec(res.headers.get("Content-Security-Policy") ?? "")?.[1];

describe("billing pages' CSP", () => {
  it("allows the stand-in's origin as a form target on billing and pricing pages and the account's Payments page", async () => {
    const standIn = new URL(env.STRIPE_API_BASE).origin;
    for (const path of ["/c/tea/billing", "/c/tea/billing/success?session_id=cs_1", "/c/tea/billing/cancel", "/c/tea/pricing", "/settings/billing"]) {
      expect(formAction(await SELF.fetch(`http://localhost${path}`))).toBe(`'self' ${standIn}`);
    }
  });

  it("keeps form-action 'self' on every other page and 'none' on the API", async () => {
    for (const path of ["/c/tea", "/c/tea/spaces", "/c/billing", "/c/tea/billingx", "/settings/billingx", "/settings/data", "/settings/billing/x"]) {
      expect(formAction(await SELF.fetch(`http://localhost${path}`))).toBe("'self'");
    }
    expect(formAction(await SELF.fetch("http://localhost/api/v1/health"))).toBe("'none'");
  });

  it("allows Stripe's checkout and portal origins with real Stripe, nothing extra without a key", async () => {
    const app = createWorkerApp();
    const real = await app.request("http://localhost/c/tea/billing", {}, { ...env, STRIPE_API_BASE: "", STRIPE_SECRET_KEY: "sk_test_real" });
    expect(formAction(real)).toBe("'self' https://checkout.stripe.com https://billing.stripe.com");
    const none = await app.request("http://localhost/c/tea/billing", {}, { ...env, STRIPE_SECRET_KEY: "" });
    expect(formAction(none)).toBe("'self'");
  });
});
