import { Link } from '../app/Link';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function NotFoundPage() {
  useDocumentTitle('Not found');
  return (
    <main className="page">
      <div className="card center">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link href="/rooms" className="btn btn-primary">
          Go to the rooms
        </Link>
      </div>
    </main>
  );
}
