import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { VigilMark } from '../components/icons.tsx';
import { NotFoundPage } from './NotFoundPage.tsx';

function describe(error: unknown): { title: string; message: string } {
  if (isRouteErrorResponse(error)) {
    return {
      title: `${error.status} ${error.statusText}`.trim(),
      message: typeof error.data === 'string' ? error.data : 'The page could not be loaded.',
    };
  }
  if (error instanceof Error) return { title: 'Something went wrong', message: error.message };
  return { title: 'Something went wrong', message: 'An unexpected error occurred while showing this page.' };
}

function ErrorContent({ error }: { error: unknown }) {
  const { title, message } = describe(error);
  return (
    <div className="centered-state" data-testid="error-page" role="alert">
      <div className="centered-code centered-code-danger">Error</div>
      <h1 className="centered-title">{title}</h1>
      <p className="centered-text">
        This page hit an error and couldn’t be shown. Reloading usually helps; if it keeps happening, let us know what
        you were doing.
      </p>
      {message ? <pre className="code-block error-message">{message}</pre> : null}
      <div className="centered-actions">
        <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
          Reload page
        </button>
        <Link to="/" className="button button-secondary" reloadDocument>
          Back to overview
        </Link>
      </div>
    </div>
  );
}

/** Errors inside a page: shown within the app shell, so navigation keeps working. */
export function RouteErrorPage() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return <ErrorContent error={error} />;
}

/** Errors in the shell itself: a standalone page in the same look. */
export function RootErrorPage() {
  const error = useRouteError();
  return (
    <div className="standalone">
      <title>Error · Vigil</title>
      <div className="standalone-brand">
        <VigilMark size={26} />
        <span className="brand-name">Vigil</span>
      </div>
      <div className="standalone-card">
        <ErrorContent error={error} />
      </div>
    </div>
  );
}
