// The production sender adapter: an HTTP mail API (Resend-compatible JSON: from, to, subject,
// text) configured by MAIL_API_URL / MAIL_API_KEY / MAIL_FROM. Without MAIL_API_URL mail stays
// in the outbox, readable at /dev/outbox when DEV_MODE is on: local runs need no mail service.
/** `id`: the outbox row's id, sent as the Idempotency-Key (Resend keeps it 24 h), so a mail resent after a lost answer is delivered once. */
export type Mail = { id: string; to: string; subject: string; text: string };

export type SendResult = { delivered: true } | { delivered: false; error: string };

export async function sendMail(env: Env, mail: Mail): Promise<SendResult> {
  if (!env.MAIL_API_URL) return { delivered: false, error: "no mail provider configured (dev outbox only)" };
  const response = await fetch(env.MAIL_API_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${env.MAIL_API_KEY ?? ""}`, "Idempotency-Key": mail.id },
    body: JSON.stringify({ from: env.MAIL_FROM ?? "Enclave <no-reply@example.com>", to: [mail.to], subject: mail.subject, text: mail.text }),
  });
  return response.ok ? { delivered: true } : { delivered: false, error: `mail API answered ${response.status}` };
}
