import { Link, useLocation } from 'react-router';
import { ArrowLeftIcon } from '../components/icons.tsx';

export function NotFoundPage() {
  const location = useLocation();
  return (
    <div className="centered-state" data-testid="not-found">
      <div className="centered-code">404</div>
      <h1 className="centered-title">This page doesn’t exist</h1>
      <p className="centered-text">
        There’s nothing at <code className="inline-code">{location.pathname}</code>. It may have moved, or the link may
        be mistyped.
      </p>
      <div className="centered-actions">
        <Link to="/" className="button button-primary">
          <ArrowLeftIcon size={14} />
          Back to overview
        </Link>
        <Link to="/status" className="button button-secondary">
          System status
        </Link>
      </div>
    </div>
  );
}
