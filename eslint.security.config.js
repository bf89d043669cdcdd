// `npm run security`: security lint rules on top of the normal config. SDL 1.1 bundles an old
// eslint-plugin-security (1.x) in its `recommended` preset; we use its own rule sets (common,
// node, react) and the current eslint-plugin-security instead, so the old copy never loads.
import sdl from '@microsoft/eslint-plugin-sdl';
import noUnsanitized from 'eslint-plugin-no-unsanitized';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

const withoutBundledSecurity = (configs) =>
  configs.filter((config) => !(config.plugins && 'security' in config.plugins && config.plugins.security !== security));

export default [
  { ignores: ['node_modules/', 'dist/', 'data/', 'test-results/', '.vigil-tmp/'] },
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parser: tseslint.parser },
    // Registered so the normal config's disable comments for its rules resolve here too.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  security.configs.recommended,
  ...withoutBundledSecurity([...sdl.configs.common, ...sdl.configs.node]),
  {
    files: ['src/web/**/*.{ts,tsx}'],
    ...noUnsanitized.configs.recommended,
  },
  ...withoutBundledSecurity(sdl.configs.react).map((config) => ({ ...config, files: ['src/web/**/*.{ts,tsx}'] })),
  {
    rules: {
      // Flags every `obj[key]` — mostly typed record lookups here; reviewed by hand instead.
      'security/detect-object-injection': 'off',
      // Our filesystem paths come from configuration or fixed locations, never from requests.
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
  {
    // In the browser the only "secret" comparisons are a password and its confirmation field,
    // typed by the same person: there is no timing side channel to exploit.
    files: ['src/web/**/*.{ts,tsx}'],
    rules: { 'security/detect-possible-timing-attacks': 'off' },
  },
  {
    // The double-submit CSRF token is read from its (deliberately readable) cookie here and only
    // here; the session itself lives in httpOnly cookies no script can read.
    files: ['src/web/lib/session.ts'],
    rules: { '@microsoft/sdl/no-cookies': 'off' },
  },
  {
    // Tests and benches build URLs to local doubles over plain HTTP on purpose.
    files: [
      'test/**',
      'bench/**',
      '**/*.test.ts',
      '**/*.test-support.ts',
      '**/test-support/**',
      '**/test-doubles/**',
      'scripts/**',
    ],
    rules: {
      '@microsoft/sdl/no-insecure-url': 'off',
      'security/detect-child-process': 'off',
      'security/detect-non-literal-regexp': 'off',
    },
  },
];
