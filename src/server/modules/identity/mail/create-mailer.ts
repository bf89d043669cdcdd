import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../../../config.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring, SealPlace } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { mailOutbox } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';

export type MailMessage = { to: string; subject: string; text: string };

/** The part of a nodemailer transport the mailer uses (tests pass a fake). */
export type MailTransport = {
  sendMail(message: MailMessage & { from: string }): Promise<unknown>;
};

export type Mailer = {
  /**
   * Records the message in mail_outbox (body sealed: it carries single-use links) and, with SMTP
   * configured, delivers it in the background, so the time a request takes never depends on the
   * mail server (or on whether a mail was sent at all).
   */
  sendMail(message: MailMessage): Promise<{ outboxId: string }>;
  /** Waits for background deliveries (tests, shutdown). */
  flush(): Promise<void>;
};

export const MAIL_NOT_CONFIGURED = 'not sent: SMTP is not configured (set SMTP_URL and MAIL_FROM)';

export function outboxBodyPlace(outboxId: string): SealPlace {
  return { table: 'mail_outbox', column: 'body_text', rowId: outboxId, orgId: null };
}

/** nodemailer over SMTP_URL, with timeouts so a stalled mail server cannot pile up deliveries. */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  return nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

/**
 * Sends mail through SMTP when SMTP_URL is configured; otherwise keeps it in mail_outbox, where
 * the development and test profiles show it (GET /api/dev/outbox). Production without SMTP logs
 * an error and keeps the row with `last_error`: mail is never dropped silently. A failed SMTP
 * delivery is kept the same way (a retry job can pick up rows with `sent_at IS NULL`).
 */
export function createMailer(options: {
  config: Pick<Config, 'profile' | 'mail'>;
  database: Database;
  keyring: Pick<Keyring, 'seal'>;
  clock: Clock;
  log: Pick<Logger, 'error' | 'info'>;
  /** Defaults to SMTP from config.mail.smtpUrl (null: no SMTP). */
  transport?: MailTransport | null;
}): Mailer {
  const { config, database, keyring, clock, log } = options;
  const transport =
    options.transport !== undefined
      ? options.transport
      : config.mail.smtpUrl
        ? createSmtpTransport(config.mail.smtpUrl)
        : null;
  const deliveries = new Set<Promise<void>>();

  const update = (outboxId: string, values: { sentAt: Date } | { lastError: string }) =>
    withPlatformTransaction(database, { userId: null, requestId: `mail:${outboxId}` }, (transaction) =>
      transaction.update(mailOutbox).set(values).where(eq(mailOutbox.id, outboxId)),
    );

  async function deliver(outboxId: string, message: MailMessage, sender: MailTransport): Promise<void> {
    try {
      await sender.sendMail({ from: config.mail.from, ...message });
      await update(outboxId, { sentAt: clock.now() });
    } catch (error) {
      // The reason goes to the row for the operator; the recipient is not logged (personal data).
      const reason = error instanceof Error ? error.message.slice(0, 500) : 'unknown error';
      log.error({ err: error, outboxId }, 'mail delivery failed; kept in mail_outbox');
      await update(outboxId, { lastError: reason }).catch((updateError: unknown) =>
        log.error({ err: updateError, outboxId }, 'could not record the mail delivery failure'),
      );
    }
  }

  return {
    async sendMail(message) {
      const outboxId = newId();
      const lastError = !transport && config.profile === 'production' ? MAIL_NOT_CONFIGURED : null;
      const bodyText = await keyring.seal(message.text, outboxBodyPlace(outboxId));
      await withPlatformTransaction(database, { userId: null, requestId: `mail:${outboxId}` }, (transaction) =>
        transaction.insert(mailOutbox).values({
          id: outboxId,
          toAddress: message.to,
          subject: message.subject,
          bodyText,
          createdAt: clock.now(),
          lastError,
        }),
      );
      if (lastError) log.error({ outboxId }, 'mail not sent: SMTP is not configured; kept in mail_outbox');
      if (transport) {
        const delivery = deliver(outboxId, message, transport).finally(() => deliveries.delete(delivery));
        deliveries.add(delivery);
      }
      return { outboxId };
    },
    async flush() {
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
  };
}
