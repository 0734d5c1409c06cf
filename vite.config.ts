import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app lives in web/; its build goes to dist/web, which the API server serves.
export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
