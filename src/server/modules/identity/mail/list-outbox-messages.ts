import { desc } from 'drizzle-orm';
import type { OutboxMessage } from '../../../../contracts/identity.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import { mailOutbox } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { outboxBodyPlace } from './create-mailer.ts';

/** The newest messages of mail_outbox, bodies opened. */
export async function listOutboxMessages(options: {
  database: Database;
  keyring: Pick<Keyring, 'openText'>;
  requestId: string;
  limit: number;
}): Promise<OutboxMessage[]> {
  const rows = await withPlatformTransaction(
    options.database,
    { userId: null, requestId: options.requestId },
    (transaction) =>
      transaction
        .select()
        .from(mailOutbox)
        .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
        .limit(options.limit),
  );
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      to: row.toAddress,
      subject: row.subject,
      text: await options.keyring.openText(row.bodyText, outboxBodyPlace(row.id)),
      createdAt: row.createdAt.toISOString(),
      sentAt: row.sentAt?.toISOString() ?? null,
      lastError: row.lastError,
    })),
  );
}
