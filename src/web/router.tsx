import { createBrowserRouter } from 'react-router';
import { Layout, type RouteHandle } from './components/Layout.tsx';
import { ApiDocsPage } from './pages/ApiDocsPage.tsx';
import { RootErrorPage, RouteErrorPage } from './pages/ErrorPages.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { OverviewPage } from './pages/OverviewPage.tsx';
import { ProblemPage, ProblemsIndexPage } from './pages/ProblemsPages.tsx';
import { StatusPage } from './pages/StatusPage.tsx';

const handle = (crumb: RouteHandle['crumb']): RouteHandle => ({ crumb });

export const router = createBrowserRouter([
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
          { path: '*', element: <NotFoundPage />, handle: handle('Not found') },
        ],
      },
    ],
  },
]);
