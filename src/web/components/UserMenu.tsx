import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { MeResponse } from '../../contracts/identity.ts';
import { signOut } from '../lib/account.ts';
import { markSignedOut } from '../lib/queries.ts';
import { ActivityIcon, ChevronUpDownIcon, LogOutIcon, ShieldIcon } from './icons.tsx';

export function initialsOf(user: Pick<MeResponse, 'displayName' | 'email'>): string {
  const source = user.displayName?.trim() || user.email.split('@')[0] || '?';
  const words = source.split(/[\s._-]+/).filter(Boolean);
  const letters = words.length >= 2 ? `${words[0]![0]}${words[1]![0]}` : source.slice(0, 2);
  return letters.toUpperCase();
}

export function Avatar({ user, size = 'md' }: { user: Pick<MeResponse, 'displayName' | 'email'>; size?: 'md' | 'lg' }) {
  return (
    <span className={`avatar avatar-${size}`} aria-hidden="true">
      {initialsOf(user)}
    </span>
  );
}

/** Signs out of this session and returns to the sign-in page. */
export function useSignOut() {
  const navigate = useNavigate();
  return useMutation({
    mutationFn: signOut,
    onSettled: async () => {
      // Leave first, so an account page's guard doesn't redirect with `?next=` to where the user was;
      // whatever the server said, the cookies are gone (or unusable): the page is signed out.
      const notice = 'You’ve been signed out.';
      await navigate('/sign-in', { replace: true, state: { notice, signedOut: true }, flushSync: true });
      markSignedOut(notice);
    },
  });
}

/** The signed-in user at the foot of the sidebar, with a menu to reach account pages and sign out. */
export function UserMenu({ me }: { me: MeResponse }) {
  const [open, setOpen] = useState(false);
  const containerRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const signOutMutation = useSignOut();

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

  const name = me.displayName?.trim() || me.email;
  return (
    <div className="user-menu" ref={containerRef}>
      {open ? (
        <div className="menu" id={menuId} role="menu" aria-label="Account" data-testid="user-menu">
          <div className="menu-header">
            <div className="menu-header-label">Signed in as</div>
            <div className="menu-header-value" title={me.email}>
              {me.email}
            </div>
          </div>
          <Link to="/account/security" className="menu-item" role="menuitem" onClick={() => setOpen(false)}>
            <ShieldIcon size={15} />
            Security
          </Link>
          <Link to="/account/sessions" className="menu-item" role="menuitem" onClick={() => setOpen(false)}>
            <ActivityIcon size={15} />
            Sessions
          </Link>
          <div className="menu-separator" role="separator" />
          <button
            type="button"
            className="menu-item"
            role="menuitem"
            onClick={() => signOutMutation.mutate()}
            disabled={signOutMutation.isPending}
            data-testid="sign-out"
          >
            <LogOutIcon size={15} />
            {signOutMutation.isPending ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      ) : null}
      <button
        type="button"
        ref={buttonRef}
        className={`user-button${open ? ' is-open' : ''}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((value) => !value)}
        data-testid="user-button"
      >
        <Avatar user={me} />
        <span className="user-button-text">
          <span className="user-button-name" data-testid="user-name">
            {name}
          </span>
          {me.displayName ? (
            <span className="user-button-email" data-testid="user-email">
              {me.email}
            </span>
          ) : null}
        </span>
        <ChevronUpDownIcon size={14} className="user-button-chevron" />
      </button>
    </div>
  );
}
