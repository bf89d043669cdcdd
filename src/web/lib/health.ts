import type { Status } from '../../contracts/status.ts';
import type { Tone } from '../components/ui.tsx';
import { pluralise } from './format.ts';

export interface HealthSummary {
  tone: Tone;
  label: string;
  detail: string;
}

export function summariseHealth(status: Status): HealthSummary {
  if (!status.database.reachable) {
    return { tone: 'danger', label: 'Database unreachable', detail: 'The API is up but cannot reach its database.' };
  }
  if (!status.migrations.current) {
    const pending = status.migrations.pending.length;
    return {
      tone: 'warning',
      label: pending > 0 ? `${pluralise(pending, 'migration')} pending` : 'Migrations not current',
      detail: 'The database schema is behind this server version. Run the pending migrations.',
    };
  }
  return { tone: 'success', label: 'All systems operational', detail: 'The API, database and schema are healthy.' };
}

export function databaseKindLabel(kind: Status['database']['kind']): string {
  return kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL';
}

export function migrationsLabel(status: Status): { tone: Tone; label: string } {
  const pending = status.migrations.pending.length;
  if (status.migrations.current && pending === 0) return { tone: 'success', label: 'Up to date' };
  return { tone: 'warning', label: pending > 0 ? `${pending} pending` : 'Not current' };
}

export const profileTone: Record<Status['profile'], Tone> = {
  production: 'accent',
  development: 'info',
  test: 'neutral',
};
