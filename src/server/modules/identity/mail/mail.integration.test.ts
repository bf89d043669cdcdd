import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { createLogCapture } from '../../../../../test/helpers/test-vigil.ts';
import { DEVELOPMENT_MASTER_KEY, type Profile } from '../../../config.ts';
import { createControlledClock } from '../../../platform/clock.ts';
import { createKeyring, isSealed } from '../../../platform/crypto/keyring.ts';
import { createLogger } from '../../../platform/log/create-logger.ts';
import { createMailer, MAIL_NOT_CONFIGURED, type MailTransport } from './create-mailer.ts';
import { devOutboxRoutes } from './dev-outbox-routes.ts';
import { listOutboxMessages } from './list-outbox-messages.ts';

let testDatabase: TestDatabase;
const clock = createControlledClock(new Date('2026-03-02T09:00:00Z'));

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

function mailerFor(options: { profile: Profile; transport: MailTransport | null }) {
  const logs = createLogCapture();
  const keyring = createKeyring({
    database: testDatabase.database,
    masterKey: Buffer.from(DEVELOPMENT_MASTER_KEY, 'base64'),
  });
  const mailer = createMailer({
    config: { profile: options.profile, mail: { smtpUrl: null, from: 'Vigil <vigil@example.com>' } },
    database: testDatabase.database,
    keyring,
    clock,
    log: createLogger({ level: 'info', destination: logs.stream }),
    transport: options.transport,
  });
  return { mailer, keyring, logs };
}

type OutboxRow = { id: string; to_address: string; body_text: string; sent_at: Date | null; last_error: string | null };

async function outboxRow(id: string): Promise<OutboxRow> {
  const [row] = await testDatabase.adminQuery<OutboxRow>(
    'SELECT id, to_address, body_text, sent_at, last_error FROM mail_outbox WHERE id = $1',
    [id],
  );
  return row!;
}

const message = {
  to: 'ada@example.com',
  subject: 'Reset',
  text: 'https://vigil.test/reset-password#token=SECRET-LINK',
};

describe(`mail (${testDatabaseKind})`, () => {
  it('keeps mail in the outbox without SMTP in development, body sealed at rest', async () => {
    const { mailer, keyring } = mailerFor({ profile: 'development', transport: null });
    const { outboxId } = await mailer.sendMail(message);
    const row = await outboxRow(outboxId);
    expect(row).toMatchObject({ to_address: 'ada@example.com', sent_at: null, last_error: null });
    expect(isSealed(row.body_text)).toBe(true);
    expect(row.body_text).not.toContain('SECRET-LINK');
    const listed = await listOutboxMessages({ database: testDatabase.database, keyring, requestId: 'test', limit: 50 });
    expect(listed[0]).toMatchObject({ id: outboxId, to: 'ada@example.com', subject: 'Reset', text: message.text });
  });

  it('in production without SMTP logs an error and keeps the row with last_error (never drops it)', async () => {
    const { mailer, logs } = mailerFor({ profile: 'production', transport: null });
    const { outboxId } = await mailer.sendMail(message);
    expect((await outboxRow(outboxId)).last_error).toBe(MAIL_NOT_CONFIGURED);
    expect(logs.lines.some((line) => line.includes('"level":"error"') && line.includes(outboxId))).toBe(true);
    expect(logs.text()).not.toContain('SECRET-LINK');
  });

  it('sends through SMTP in the background and records sent_at', async () => {
    const sent: unknown[] = [];
    const { mailer } = mailerFor({
      profile: 'production',
      transport: { sendMail: async (mail) => void sent.push(mail) },
    });
    const { outboxId } = await mailer.sendMail(message);
    await mailer.flush();
    expect(sent).toEqual([{ from: 'Vigil <vigil@example.com>', ...message }]);
    const row = await outboxRow(outboxId);
    expect(new Date(row.sent_at!).toISOString()).toBe(clock.now().toISOString());
    expect(row.last_error).toBeNull();
  });

  it('keeps a message SMTP refused, with the reason, and logs the failure', async () => {
    const { mailer, logs } = mailerFor({
      profile: 'production',
      transport: {
        sendMail: async () => {
          throw new Error('550 mailbox unavailable');
        },
      },
    });
    const { outboxId } = await mailer.sendMail(message);
    await mailer.flush();
    expect(await outboxRow(outboxId)).toMatchObject({ sent_at: null, last_error: '550 mailbox unavailable' });
    expect(logs.text()).toContain('mail delivery failed');
    expect(logs.text()).not.toContain('SECRET-LINK');
  });

  it('registers the development outbox only in the development and test profiles', () => {
    const keyring = { openText: async () => '' };
    const database = testDatabase.database;
    expect(devOutboxRoutes({ config: { profile: 'production' }, database, keyring })).toEqual([]);
    expect(devOutboxRoutes({ config: { profile: 'development' }, database, keyring })).toHaveLength(1);
    expect(devOutboxRoutes({ config: { profile: 'test' }, database, keyring })[0]?.url).toBe('/api/dev/outbox');
  });
});
