import { QueryClient, queryOptions } from '@tanstack/react-query';
import { statusSchema } from '../../contracts/status.ts';
import { ApiError, getJson } from './api.ts';
import { parseOpenApiDocument } from './openapi.ts';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Client errors will not fix themselves; retry network blips and 5xx once.
      retry: (failureCount, error) => {
        if (error instanceof ApiError && error.status !== null && error.status < 500) return false;
        return failureCount < 1;
      },
    },
  },
});

export const statusQuery = queryOptions({
  queryKey: ['status'],
  queryFn: ({ signal }) => getJson('/api/status', (body) => statusSchema.parse(body), signal),
  refetchInterval: 30_000,
});

export const openApiQuery = queryOptions({
  queryKey: ['openapi'],
  queryFn: ({ signal }) => getJson('/api/openapi.json', parseOpenApiDocument, signal),
  staleTime: 5 * 60_000,
});
