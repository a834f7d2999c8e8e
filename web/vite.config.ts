import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API (and the room WebSockets) to a local server:
//   build/rooms serve --listen 127.0.0.1:8080 --data-dir /tmp/rooms-dev
const apiTarget = process.env.ROOMS_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      // Host stays the dev server's, which the page's Origin names: the gateway's WebSocket Origin check
      // compares the two.
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    restoreMocks: true,
  },
});
