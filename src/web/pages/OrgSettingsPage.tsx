import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import { type OrganisationView, roleLabels, updateOrganisationRequestSchema } from '../../contracts/organisations.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Alert, Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from '../components/forms.tsx';
import { BuildingIcon, LogOutIcon, TrashIcon } from '../components/icons.tsx';
import { OrganisationNotFound } from '../components/OrgAccess.tsx';
import { PageSkeleton } from '../components/RequireAuth.tsx';
import { useStepUp } from '../components/StepUp.tsx';
import { SupportAccessCard } from '../components/SupportAccessCard.tsx';
import { Badge, Card, ErrorState, KeyValue, PageHeader, Skeleton } from '../components/ui.tsx';
import { formatDateTime } from '../lib/format.ts';
import {
  can,
  deleteOrganisation,
  leaveOrganisation,
  membershipOf,
  organisationQuery,
  updateOrganisation,
} from '../lib/organisations.ts';
import { ACCOUNT_KEY, meQuery } from '../lib/queries.ts';
import { SettingsCard } from './SecurityPage.tsx';

function timeZones(current: string): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  // The runtime's list may spell UTC differently or lack the stored zone: keep both selectable.
  return [...new Set([current, 'UTC', ...zones])].sort((a, b) => a.localeCompare(b));
}

function GeneralSettings({ organisation, editable }: { organisation: OrganisationView; editable: boolean }) {
  const nameId = useId();
  const zoneId = useId();
  const thresholdId = useId();
  const queryClient = useQueryClient();
  const [name, setName] = useState(organisation.name);
  const [timezone, setTimezone] = useState(organisation.timezone);
  const [threshold, setThreshold] = useState(String(organisation.riskAlertThreshold));
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const zones = useMemo(() => timeZones(organisation.timezone), [organisation.timezone]);
  const mutation = useMutation({
    mutationFn: (changes: Parameters<typeof updateOrganisation>[1]) => updateOrganisation(organisation.id, changes),
    onSuccess: async (updated) => {
      setSaved(true);
      queryClient.setQueryData(organisationQuery(organisation.id).queryKey, updated);
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
    },
  });
  const changes = {
    ...(name.trim() !== organisation.name ? { name: name.trim() } : {}),
    ...(timezone !== organisation.timezone ? { timezone } : {}),
    ...(Number(threshold) !== organisation.riskAlertThreshold ? { riskAlertThreshold: Number(threshold) } : {}),
  };
  const dirty = Object.keys(changes).length > 0;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSaved(false);
    const errors: Record<string, string> = {};
    if (!name.trim()) errors.name = 'Enter a name.';
    const value = Number(threshold);
    if (!Number.isInteger(value) || value < 1 || value > 100)
      errors.riskAlertThreshold = 'Use a whole number from 1 to 100.';
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0 || !dirty) return;
    const parsed = updateOrganisationRequestSchema.safeParse(changes);
    if (!parsed.success) return setLocalErrors({ form: parsed.error.issues[0]?.message ?? 'Check the settings.' });
    mutation.mutate(parsed.data);
  };
  const serverErrors = fieldErrorsOf(mutation.error, ['name', 'timezone', 'riskAlertThreshold']);
  const errors = { ...serverErrors, ...localErrors };
  return (
    <SettingsCard
      icon={<BuildingIcon size={18} />}
      title="General"
      description={
        editable
          ? 'How this organisation appears and when Vigil raises risk alerts.'
          : 'Only admins can change these settings.'
      }
      testId="org-general"
    >
      <form className="form form-narrow" onSubmit={submit} noValidate data-testid="org-settings-form">
        <Field label="Name" htmlFor={nameId} error={errors.name}>
          <TextInput
            id={nameId}
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={200}
            disabled={!editable}
            invalid={Boolean(errors.name)}
            data-testid="org-name"
          />
        </Field>
        <Field
          label="Time zone"
          htmlFor={zoneId}
          error={errors.timezone}
          hint="Used for dates in reports, digests and schedules."
        >
          <select
            id={zoneId}
            className="input select"
            value={timezone}
            onChange={(event) => setTimezone(event.target.value)}
            disabled={!editable}
            data-testid="org-timezone"
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Risk alert threshold"
          htmlFor={thresholdId}
          error={errors.riskAlertThreshold}
          hint="Deals whose risk score reaches this value (1–100) raise an alert."
        >
          <TextInput
            id={thresholdId}
            type="number"
            min={1}
            max={100}
            step={1}
            inputMode="numeric"
            value={threshold}
            onChange={(event) => setThreshold(event.target.value)}
            disabled={!editable}
            invalid={Boolean(errors.riskAlertThreshold)}
            className="input-short"
            data-testid="org-threshold"
          />
        </Field>
        {mutation.error && Object.keys(serverErrors).length === 0 ? <FormError error={mutation.error} /> : null}
        {localErrors.form ? <Alert tone="danger">{localErrors.form}</Alert> : null}
        {saved && !dirty ? (
          <Alert tone="success" testId="org-settings-saved">
            Settings saved.
          </Alert>
        ) : null}
        {editable ? (
          <div className="form-actions">
            <SubmitButton
              pending={mutation.isPending}
              pendingLabel="Saving…"
              disabled={!dirty}
              testId="org-settings-save"
            >
              Save changes
            </SubmitButton>
          </div>
        ) : null}
      </form>
    </SettingsCard>
  );
}

function DeleteDialog({ organisation, onClose }: { organisation: OrganisationView; onClose: () => void }) {
  const withStepUp = useStepUp();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: () => withStepUp(() => deleteOrganisation(organisation.id, organisation.name)),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: [ACCOUNT_KEY, 'org', organisation.id] });
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      await navigate('/', { replace: true, state: { notice: `${organisation.name} was deleted.` } });
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${organisation.name}?`}
      description="Every deal, app, integration and member of this organisation is removed for good. Connected providers’ tokens are revoked. The audit trail is kept. This cannot be undone."
      testId="org-delete-dialog"
      typeToConfirm={{ value: organisation.name, testId: 'org-delete-confirm-name' }}
      confirmLabel="Delete organisation"
      pendingLabel="Deleting…"
      confirmIcon={<TrashIcon size={14} />}
      confirmTestId="org-delete-submit"
      pending={mutation.isPending}
      error={mutation.error}
      errorTestId="org-delete-error"
      onConfirm={() => mutation.mutate()}
      onClose={onClose}
    />
  );
}

function LeaveDialog({ organisation, onClose }: { organisation: OrganisationView; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: () => leaveOrganisation(organisation.id),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: [ACCOUNT_KEY, 'org', organisation.id] });
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      await navigate('/', { replace: true });
    },
  });
  return (
    <ConfirmDialog
      icon={<LogOutIcon size={18} />}
      title={`Leave ${organisation.name}?`}
      description="You’ll lose access straight away. An admin would have to invite you again."
      testId="org-leave-dialog"
      confirmLabel="Leave organisation"
      pendingLabel="Leaving…"
      confirmTestId="org-leave-confirm"
      pending={mutation.isPending}
      error={mutation.error}
      errorTestId="org-leave-error"
      onConfirm={() => mutation.mutate()}
      onClose={onClose}
    />
  );
}

function OrgSettings({ me, orgId }: { me: MeResponse; orgId: string }) {
  const query = useQuery(organisationQuery(orgId));
  const [dialog, setDialog] = useState<'leave' | 'delete' | null>(null);
  const membership = membershipOf(me, orgId)!;
  const editable = can(me, orgId, 'org:manage');
  return (
    <div className="page" data-testid="org-settings-page">
      <PageHeader
        eyebrow={membership.orgName}
        title="Organisation settings"
        actions={
          <Badge tone={membership.role === 'org_admin' ? 'accent' : 'neutral'}>
            Your role: {roleLabels[membership.role]}
          </Badge>
        }
      />
      {query.isPending ? (
        <Card className="panel">
          <div className="skeleton-stack">
            <Skeleton width="md" />
            <Skeleton width="full" tall />
            <Skeleton width="lg" />
          </div>
        </Card>
      ) : query.error ? (
        <ErrorState
          error={query.error}
          heading="Could not load the organisation"
          onRetry={() => void query.refetch()}
          retrying={query.isFetching}
        />
      ) : (
        <div className="settings-stack">
          {query.data.suspended ? (
            <Alert tone="warning" title="This organisation is suspended">
              A platform administrator suspended it. Contact support to find out why.
            </Alert>
          ) : null}
          <GeneralSettings key={query.data.id} organisation={query.data} editable={editable} />
          <Card className="panel">
            <dl className="kv-list">
              <KeyValue label="Organisation ID">
                <span className="mono">{query.data.id}</span>
              </KeyValue>
              <KeyValue label="Slug">
                <span className="mono">{query.data.slug}</span>
              </KeyValue>
              <KeyValue label="Members">{query.data.memberCount}</KeyValue>
              <KeyValue label="Created">{formatDateTime(query.data.createdAt)}</KeyValue>
            </dl>
          </Card>
          {editable ? <SupportAccessCard orgId={orgId} /> : null}
          <SettingsCard
            icon={<LogOutIcon size={18} />}
            title="Leave organisation"
            description="Give up your access to this organisation."
            testId="org-leave"
          >
            <div className="setting-row">
              <div className="setting-row-text">
                <div className="setting-row-title">Leave {query.data.name}</div>
                <div className="setting-row-description">
                  The last admin can’t leave: make someone else an admin first, or delete the organisation.
                </div>
              </div>
              <div className="setting-row-action">
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setDialog('leave')}
                  data-testid="org-leave-button"
                >
                  Leave
                </button>
              </div>
            </div>
          </SettingsCard>
          {can(me, orgId, 'org:delete') ? (
            <section className="card settings-card danger-zone" data-testid="org-danger-zone">
              <header className="settings-card-head">
                <span className="settings-card-icon settings-card-icon-danger">
                  <TrashIcon size={18} />
                </span>
                <div className="settings-card-heading">
                  <h2 className="settings-card-title">Danger zone</h2>
                  <p className="settings-card-description">
                    Irreversible. With two-step verification on, it asks for a fresh code first.
                  </p>
                </div>
              </header>
              <div className="settings-card-body">
                <div className="setting-row">
                  <div className="setting-row-text">
                    <div className="setting-row-title">Delete this organisation</div>
                    <div className="setting-row-description">
                      Removes its deals, apps, integrations and members for good. The audit trail is kept, with the
                      organisation pseudonymised.
                    </div>
                  </div>
                  <div className="setting-row-action">
                    <button
                      type="button"
                      className="button button-danger-outline"
                      onClick={() => setDialog('delete')}
                      data-testid="org-delete-button"
                    >
                      Delete organisation
                    </button>
                  </div>
                </div>
              </div>
            </section>
          ) : null}
        </div>
      )}
      {dialog === 'delete' && query.data ? (
        <DeleteDialog organisation={query.data} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'leave' && query.data ? (
        <LeaveDialog organisation={query.data} onClose={() => setDialog(null)} />
      ) : null}
    </div>
  );
}

export function OrgSettingsPage() {
  const { orgId = '' } = useParams();
  const { data: me } = useQuery(meQuery);
  if (!me) return <PageSkeleton />;
  if (!membershipOf(me, orgId)) return <OrganisationNotFound testId="org-settings-no-access" />;
  return <OrgSettings key={orgId} me={me} orgId={orgId} />;
}
