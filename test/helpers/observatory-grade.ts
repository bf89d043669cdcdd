/**
 * Grades response headers the way Mozilla's HTTP Observatory does: every site starts at 100,
 * loses points for missing or weak controls and, only when it still scores 90 or more, gains
 * bonus points for best practice. 100 or more is A+. The penalties and bonuses below follow the
 * Observatory's published scoring table for the header tests (CSP, cookies, CORS, Referrer-Policy,
 * HSTS, X-Content-Type-Options, X-Frame-Options, CORP); tests that depend on a whole site
 * (redirection chain, subresource integrity of third-party scripts) do not apply to one response.
 */
export type Grade = { score: number; grade: string; modifiers: string[] };

type Headers = Record<string, string | string[] | number | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value);
}

function parseCsp(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

export function gradeHeaders(headers: Headers, options: { https: boolean }): Grade {
  let penalties = 0;
  let bonuses = 0;
  const modifiers: string[] = [];
  const penalise = (points: number, why: string) => {
    penalties += points;
    modifiers.push(`-${points} ${why}`);
  };
  const reward = (points: number, why: string) => {
    bonuses += points;
    modifiers.push(`+${points} ${why}`);
  };

  const csp = header(headers, 'content-security-policy');
  const directives = csp ? parseCsp(csp) : new Map<string, string[]>();
  if (!csp) penalise(25, 'CSP not implemented');
  else {
    const script = directives.get('script-src') ?? directives.get('default-src') ?? [];
    const style = directives.get('style-src') ?? directives.get('default-src') ?? [];
    if (!directives.has('default-src') && !directives.has('script-src'))
      penalise(25, 'CSP without default-src or script-src');
    if (script.includes("'unsafe-inline'") || script.includes('data:') || script.includes('*'))
      penalise(20, 'CSP allows unsafe inline or data: scripts');
    if (script.includes("'unsafe-eval'")) penalise(10, 'CSP allows eval');
    if (style.includes("'unsafe-inline'")) penalise(5, 'CSP allows inline styles');
    const defaultSource = directives.get('default-src') ?? [];
    if ((defaultSource.includes("'none'") || defaultSource.includes("'self'")) && !script.includes("'unsafe-inline'")) {
      reward(10, "CSP restricts default-src to 'self'/'none' without unsafe sources");
    }
  }

  const cookies = headers['set-cookie'];
  const cookieList = Array.isArray(cookies) ? cookies : cookies ? [String(cookies)] : [];
  if (cookieList.length > 0) {
    if (options.https && cookieList.some((cookie) => !/;\s*secure/i.test(cookie)))
      penalise(20, 'cookie without Secure');
    if (
      cookieList.some(
        (cookie) => /session|token|_at|_rt/i.test(cookie.split('=')[0] ?? '') && !/;\s*httponly/i.test(cookie),
      )
    )
      penalise(30, 'session cookie without HttpOnly');
    if (cookieList.every((cookie) => /;\s*samesite=(strict|lax)/i.test(cookie))) reward(5, 'all cookies use SameSite');
  }

  if (
    header(headers, 'access-control-allow-origin') === '*' &&
    header(headers, 'access-control-allow-credentials') === 'true'
  ) {
    penalise(50, 'CORS allows any origin with credentials');
  }

  const referrer = header(headers, 'referrer-policy');
  if (referrer && /unsafe-url|no-referrer-when-downgrade/.test(referrer)) penalise(5, 'Referrer-Policy leaks URLs');
  else if (referrer && /no-referrer|same-origin|strict-origin/.test(referrer)) reward(5, 'Referrer-Policy is private');

  if (options.https) {
    const hsts = header(headers, 'strict-transport-security');
    const maxAge = Number(/max-age=(\d+)/i.exec(hsts ?? '')?.[1] ?? 0);
    if (!hsts) penalise(20, 'HSTS not implemented');
    else if (maxAge < 15_768_000) penalise(10, 'HSTS max-age under six months');
    else if (/preload/i.test(hsts)) reward(5, 'HSTS preload');
  }

  if (header(headers, 'x-content-type-options')?.toLowerCase() !== 'nosniff')
    penalise(5, 'X-Content-Type-Options not nosniff');

  const frameAncestors = directives.get('frame-ancestors');
  const xfo = header(headers, 'x-frame-options')?.toUpperCase();
  if (frameAncestors && (frameAncestors.includes("'none'") || frameAncestors.includes("'self'")))
    reward(5, 'clickjacking blocked by CSP frame-ancestors');
  else if (xfo !== 'DENY' && xfo !== 'SAMEORIGIN') penalise(20, 'no X-Frame-Options or frame-ancestors');

  if (!header(headers, 'cross-origin-resource-policy')) penalise(5, 'no Cross-Origin-Resource-Policy');

  const base = Math.max(0, 100 - penalties);
  const score = base >= 90 ? base + bonuses : base;
  const grade =
    score >= 100
      ? 'A+'
      : score >= 90
        ? 'A'
        : score >= 85
          ? 'A-'
          : score >= 80
            ? 'B+'
            : score >= 70
              ? 'B'
              : score >= 60
                ? 'C'
                : score >= 50
                  ? 'D'
                  : 'F';
  return { score, grade, modifiers };
}
