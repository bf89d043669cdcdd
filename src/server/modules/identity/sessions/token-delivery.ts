/**
 * Where a freshly issued session's tokens go. Browsers get them only as httpOnly cookies — a token
 * in a JSON body is readable by any script on the page, which defeats httpOnly. Browsers announce
 * themselves with Fetch Metadata (`Sec-Fetch-Site`, sent by every current browser on every
 * request and not settable by scripts); API clients do not send it and get the tokens in the body.
 */
export function isBrowserRequest(request: { headers: Record<string, string | string[] | undefined> }): boolean {
  return typeof request.headers['sec-fetch-site'] === 'string';
}

/** Removes the tokens themselves (keeping their expiry times) from a response for a browser. */
export function withoutTokensForBrowsers<Body extends { accessToken?: string; refreshToken?: string }>(
  request: { headers: Record<string, string | string[] | undefined> },
  body: Body,
): Body {
  if (!isBrowserRequest(request)) return body;
  const { accessToken: _access, refreshToken: _refresh, ...rest } = body;
  return rest as Body;
}
