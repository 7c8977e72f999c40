import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` talks to a running gateway (or `pulseboard demo`) through this proxy, so the
// page and Socket.IO share one origin exactly as in production.
const gateway = process.env.PULSEBOARD_URL || 'http://localhost:4000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    proxy: {
      '/socket.io': { target: gateway, ws: true },
      '/api': { target: gateway, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Charts are most of the bytes; apart from the app code they change only on upgrades, so
    // each library gets its own long-cached chunk.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'socketio', test: /node_modules[\\/](socket\.io-client|engine\.io-client|socket\.io-parser|engine\.io-parser|@socket\.io|debug|ms|xmlhttprequest-ssl)[\\/]/ },
            { name: 'charts', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ['src/**/*.test.{js,jsx}'],
    environment: 'node',
  },
});
