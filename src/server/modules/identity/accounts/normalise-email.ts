/**
 * The identity an email address is known by: trimmed and lower-cased, so `Ada@Example.com ` and
 * `ada@example.com` are one account (and one rate-limit bucket). Stored in users.email_normalised.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
