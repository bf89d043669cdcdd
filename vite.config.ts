import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app lives in src/web and is built into dist/web, which `vigil serve` serves as its
// static root. Nothing may be inlined: the server's CSP forbids inline scripts and styles.
export default defineConfig({
  root: 'src/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // The password-strength dictionaries (zxcvbn, ~1.2 MB) are a lazy chunk loaded only by the pages
    // that set a password; they are what crosses Vite's default 500 kB warning.
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/healthz': 'http://127.0.0.1:3000' } },
});
