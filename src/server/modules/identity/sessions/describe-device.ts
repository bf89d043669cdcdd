/**
 * A short, human label for a user agent ("Firefox on macOS") for the sessions page. A guess from
 * a header the client controls: for recognising one's own devices, never for security decisions.
 */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /\bEdg(?:e|A|iOS)?\//.test(userAgent)
    ? 'Edge'
    : /\bOPR\/|\bOpera\b/.test(userAgent)
      ? 'Opera'
      : /\bFirefox\/|\bFxiOS\//.test(userAgent)
        ? 'Firefox'
        : /\bChrome\/|\bCriOS\/|\bChromium\//.test(userAgent)
          ? 'Chrome'
          : /\bSafari\//.test(userAgent) && /\bVersion\//.test(userAgent)
            ? 'Safari'
            : /^curl\//.test(userAgent)
              ? 'curl'
              : null;
  const system = /\biPhone\b|\biPad\b|\biOS\b/.test(userAgent)
    ? 'iOS'
    : /\bAndroid\b/.test(userAgent)
      ? 'Android'
      : /\bMac OS X\b|\bMacintosh\b/.test(userAgent)
        ? 'macOS'
        : /\bWindows\b/.test(userAgent)
          ? 'Windows'
          : /\bCrOS\b/.test(userAgent)
            ? 'ChromeOS'
            : /\bLinux\b/.test(userAgent)
              ? 'Linux'
              : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Other client';
}
