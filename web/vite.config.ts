// The admin console: built into web/dist, which `tern serve` serves at `/`.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  server: {
    // `npm run dev:web`: the console with hot reload against a Tern on :8080.
    proxy: { '/api': 'http://127.0.0.1:8080', '/webhooks': 'http://127.0.0.1:8080' },
  },
});
