import { createBrowserRouter, Navigate } from 'react-router';
import { AuthLayout } from './components/AuthLayout.tsx';
import { Layout, type RouteHandle } from './components/Layout.tsx';
import { RequireAuth } from './components/RequireAuth.tsx';
import { AdminConsolePage } from './pages/AdminConsolePage.tsx';
import { SupportDealsPage } from './pages/SupportDealsPage.tsx';
import { ApiDocsPage } from './pages/ApiDocsPage.tsx';
import { AuditLogPage } from './pages/AuditLogPage.tsx';
import { DevMailboxPage } from './pages/DevMailboxPage.tsx';
import { ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from './pages/EmailLinkPages.tsx';
import { RootErrorPage, RouteErrorPage } from './pages/ErrorPages.tsx';
import { InvitationsPage } from './pages/InvitationsPage.tsx';
import { MembersPage } from './pages/MembersPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { OrgSettingsPage } from './pages/OrgSettingsPage.tsx';
import { OverviewPage } from './pages/OverviewPage.tsx';
import { ProblemPage, ProblemsIndexPage } from './pages/ProblemsPages.tsx';
import { SecurityPage } from './pages/SecurityPage.tsx';
import { SessionsPage } from './pages/SessionsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { SignUpPage } from './pages/SignUpPage.tsx';
import { SsoCallbackPage } from './pages/SsoCallbackPage.tsx';
import { StatusPage } from './pages/StatusPage.tsx';
import { WebhookEndpointPage } from './pages/WebhookEndpointPage.tsx';
import { WebhooksPage } from './pages/WebhooksPage.tsx';

const handle = (crumb: RouteHandle['crumb']): RouteHandle => ({ crumb });

export const router = createBrowserRouter([
  {
    // Signing in, signing up and the pages email links open: a standalone frame, no sidebar.
    element: <AuthLayout />,
    errorElement: <RootErrorPage />,
    children: [
      {
        errorElement: <RouteErrorPage />,
        children: [
          { path: 'sign-in', element: <SignInPage />, handle: handle('Sign in') },
          { path: 'sign-up', element: <SignUpPage />, handle: handle('Create account') },
          { path: 'verify-email', element: <VerifyEmailPage />, handle: handle('Verify email') },
          { path: 'forgot-password', element: <ForgotPasswordPage />, handle: handle('Reset password') },
          { path: 'reset-password', element: <ResetPasswordPage />, handle: handle('Choose a new password') },
          { path: 'sso/:provider/callback', element: <SsoCallbackPage />, handle: handle('Signing in') },
        ],
      },
    ],
  },
  {
    path: '/',
    element: <Layout />,
    errorElement: <RootErrorPage />,
    children: [
      {
        // Pathless: page errors render inside the shell, keeping the sidebar usable.
        errorElement: <RouteErrorPage />,
        children: [
          { index: true, element: <OverviewPage />, handle: handle('Overview') },
          { path: 'status', element: <StatusPage />, handle: handle('System status') },
          { path: 'api-docs', element: <ApiDocsPage />, handle: handle('API reference') },
          {
            path: 'problems',
            handle: handle('Problem types'),
            children: [
              { index: true, element: <ProblemsIndexPage /> },
              { path: ':code', element: <ProblemPage />, handle: handle((params) => params.code ?? 'Unknown') },
            ],
          },
          {
            // Signed-in pages: anyone else is sent to /sign-in?next=….
            element: <RequireAuth />,
            children: [
              {
                path: 'account',
                handle: handle('Account'),
                children: [
                  { index: true, element: <Navigate to="/account/security" replace /> },
                  { path: 'security', element: <SecurityPage />, handle: handle('Security') },
                  { path: 'sessions', element: <SessionsPage />, handle: handle('Sessions') },
                ],
              },
              { path: 'orgs/:orgId/audit', element: <AuditLogPage />, handle: handle('Audit log') },
              { path: 'orgs/:orgId/members', element: <MembersPage />, handle: handle('Members') },
              { path: 'orgs/:orgId/settings', element: <OrgSettingsPage />, handle: handle('Organisation settings') },
              { path: 'admin', element: <AdminConsolePage />, handle: handle('Admin console') },
              {
                path: 'admin/organisations/:orgId/support',
                element: <SupportDealsPage />,
                handle: handle('Support access'),
              },
              {
                path: 'orgs/:orgId/webhooks',
                handle: handle('Webhooks'),
                children: [
                  { index: true, element: <WebhooksPage /> },
                  { path: ':endpointId', element: <WebhookEndpointPage />, handle: handle('Endpoint') },
                ],
              },
            ],
          },
          // Outside RequireAuth: the page keeps the link's token before sending a visitor to sign in.
          { path: 'invitations', element: <InvitationsPage />, handle: handle('Invitations') },
          { path: 'dev/mailbox', element: <DevMailboxPage />, handle: handle('Dev mailbox') },
          { path: '*', element: <NotFoundPage />, handle: handle('Not found') },
        ],
      },
    ],
  },
]);
