import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupFileName } from './create-backup.ts';
import { pruneBackups } from './prune-backups.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'vigil-prune-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('pruneBackups', () => {
  it('keeps the newest N backups and leaves every other file alone', async () => {
    const start = Date.UTC(2026, 0, 1);
    // Written out of order: age comes from the name, not from the directory listing.
    const names = [3, 0, 4, 1, 2].map((hours) => backupFileName(new Date(start + hours * 3_600_000)));
    for (const name of names) writeFileSync(path.join(directory, name), 'x');
    for (const other of ['manual-copy.vbk', 'notes.txt', '.vigil-x.vbk.partial-ab12']) {
      writeFileSync(path.join(directory, other), 'x');
    }
    const pruned = await pruneBackups({ directory, keep: 2 });
    expect(pruned.map((file) => path.basename(file))).toEqual(
      [0, 1, 2].map((hours) => backupFileName(new Date(start + hours * 3_600_000))),
    );
    expect(readdirSync(directory).sort()).toEqual(
      [
        '.vigil-x.vbk.partial-ab12',
        'manual-copy.vbk',
        'notes.txt',
        backupFileName(new Date(start + 3 * 3_600_000)),
        backupFileName(new Date(start + 4 * 3_600_000)),
      ].sort(),
    );
  });

  it('names backups so they sort by time', () => {
    expect(backupFileName(new Date('2026-01-02T03:04:05.006Z'))).toBe('vigil-20260102T030405.006Z.vbk');
  });
});
