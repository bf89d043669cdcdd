/**
 * Why a backup, verification or restore stopped. Each code exists so an operator (and a test)
 * can tell the failures apart without parsing the message.
 */
export type BackupErrorCode =
  /** The file does not start with the Vigil backup magic, or its header cannot be parsed. */
  | 'not-a-backup'
  /** A newer Vigil wrote it; this version cannot read the format. */
  | 'unsupported-format'
  /** The master key is not the one the backup was made with. */
  | 'wrong-key'
  /** The header (manifest or seal) was modified after the backup was written. */
  | 'manifest-tampered'
  /** A body chunk failed authentication, is out of order, or trailing bytes were appended. */
  | 'body-tampered'
  /** The file ends before its final chunk. */
  | 'truncated'
  /** Decryption succeeded but the payload does not match the manifest's digest or size. */
  | 'checksum-mismatch'
  /** The restore target holds data and --force was not given. */
  | 'target-not-empty'
  /** The backup's database kind (PostgreSQL / embedded) does not match the restore target. */
  | 'wrong-target-kind'
  /** The restored database does not match the manifest (row counts, audit heads, chains). */
  | 'verification-failed'
  /** The database role lacks a privilege the operation needs (BYPASSRLS, CREATEDB, ...). */
  | 'insufficient-privilege'
  /** pg_dump, pg_restore or psql is missing or failed. */
  | 'tool-failed'
  /** No database where one was expected (e.g. an empty embedded data directory). */
  | 'no-database'
  /** `vigil backup --out` names a file that exists already. */
  | 'file-exists'
  /** The operation was aborted (job lease lost). */
  | 'aborted';

/** An operator-facing failure: the message is shown as is, without a stack trace. */
export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
  }
}
