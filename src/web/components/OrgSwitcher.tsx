import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { createOrganisationRequestSchema, roleLabels } from '../../contracts/organisations.ts';
import type { MeResponse } from '../../contracts/identity.ts';
import { switchOrganisation } from '../lib/account.ts';
import { createOrganisation, membershipOf } from '../lib/organisations.ts';
import { ACCOUNT_KEY, meQuery } from '../lib/queries.ts';
import { Dialog } from './Dialog.tsx';
import { Field, FormError, fieldErrorsOf, SubmitButton, TextInput } from './forms.tsx';
import { BuildingIcon, CheckIcon, ChevronUpDownIcon } from './icons.tsx';

function OrgMark({ name, size = 'md' }: { name: string; size?: 'sm' | 'md' }) {
  return (
    <span className={`org-mark org-mark-${size}`} aria-hidden="true">
      {name.trim().slice(0, 1).toUpperCase() || '?'}
    </span>
  );
}

/** `/orgs/<old>/members?x` → `/orgs/<new>/members`: the same page in the other organisation. */
function samePageIn(pathname: string, orgId: string): string | null {
  const [, first, , page] = pathname.split('/');
  if (first !== 'orgs') return null;
  return `/orgs/${orgId}/${page && /^[a-z-]+$/.test(page) ? page : 'settings'}`;
}

export function CreateOrganisationDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: createOrganisation,
    onSuccess: async (organisation) => {
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      onClose();
      await navigate(`/orgs/${organisation.id}/members`);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = createOrganisationRequestSchema.safeParse({ name });
    if (!parsed.success) return setLocalError(parsed.error.issues[0]?.message ?? 'Enter a name');
    setLocalError(null);
    mutation.mutate(parsed.data.name);
  };
  const fieldErrors = fieldErrorsOf(mutation.error, ['name']);
  return (
    <Dialog
      title="Create an organisation"
      description="A separate workspace with its own members, deals and apps. You’ll be its admin."
      icon={<BuildingIcon size={18} />}
      onClose={onClose}
      testId="create-org-dialog"
    >
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Name"
          htmlFor={id}
          error={localError ?? fieldErrors.name}
          hint="Your company or team, e.g. Acme Sales."
        >
          <TextInput
            id={id}
            value={name}
            onChange={(event) => setName(event.target.value)}
            invalid={Boolean(localError ?? fieldErrors.name)}
            maxLength={200}
            autoFocus
            data-testid="create-org-name"
          />
        </Field>
        {mutation.error && !fieldErrors.name ? <FormError error={mutation.error} /> : null}
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
          <SubmitButton pending={mutation.isPending} pendingLabel="Creating…" testId="create-org-submit">
            Create organisation
          </SubmitButton>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The organisation the sidebar is showing, with a menu of the user's other memberships (switching
 * re-scopes the session) and a way to create a new one.
 */
export function OrgSwitcher({ me, currentOrgId }: { me: MeResponse; currentOrgId: string | null }) {
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const containerRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const current = currentOrgId ? membershipOf(me, currentOrgId) : null;

  const switching = useMutation({
    mutationFn: (orgId: string) => switchOrganisation(orgId),
    onSuccess: async (_result, orgId) => {
      setOpen(false);
      queryClient.removeQueries({ queryKey: [ACCOUNT_KEY, 'audit'] });
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      await navigate(samePageIn(location.pathname, orgId) ?? `/orgs/${orgId}/settings`);
    },
  });

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!containerRef.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [open]);

  return (
    <div className="org-switcher" ref={containerRef} data-testid="org-switcher">
      <button
        type="button"
        ref={buttonRef}
        className={`org-switcher-button${open ? ' is-open' : ''}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((value) => !value)}
        data-testid="org-switcher-button"
      >
        {current ? <OrgMark name={current.orgName} /> : <OrgMark name="+" />}
        <span className="org-switcher-text">
          <span className="org-switcher-name" data-testid="org-switcher-current">
            {current ? current.orgName : 'No organisation'}
          </span>
          <span className="org-switcher-role">{current ? roleLabels[current.role] : 'Create or join one'}</span>
        </span>
        <ChevronUpDownIcon size={14} className="user-button-chevron" />
      </button>
      {open ? (
        <div className="menu menu-down" id={menuId} role="menu" aria-label="Organisations" data-testid="org-menu">
          {me.memberships.length > 0 ? <div className="menu-header-label menu-section">Your organisations</div> : null}
          {me.memberships.map((membership) => {
            const selected = membership.orgId === currentOrgId;
            return (
              <button
                key={membership.orgId}
                type="button"
                className={`menu-item org-menu-item${selected ? ' is-selected' : ''}`}
                role="menuitemradio"
                aria-checked={selected}
                disabled={switching.isPending}
                onClick={() => (selected ? setOpen(false) : switching.mutate(membership.orgId))}
                data-testid="org-menu-item"
              >
                <OrgMark name={membership.orgName} size="sm" />
                <span className="org-menu-name">{membership.orgName}</span>
                <span className="org-menu-role">{roleLabels[membership.role]}</span>
                <span className="org-menu-check">{selected ? <CheckIcon size={14} /> : null}</span>
              </button>
            );
          })}
          {switching.error ? (
            <div className="menu-error">
              <FormError error={switching.error} />
            </div>
          ) : null}
          {me.memberships.length > 0 ? <div className="menu-separator" role="separator" /> : null}
          <button
            type="button"
            className="menu-item"
            role="menuitem"
            onClick={() => {
              setOpen(false);
              setCreating(true);
            }}
            data-testid="org-menu-create"
          >
            <BuildingIcon size={15} />
            Create organisation
          </button>
        </div>
      ) : null}
      {creating ? <CreateOrganisationDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}
