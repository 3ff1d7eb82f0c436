import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Built into sidebar/dist and served by Fencun at /sidebar/. Budget (PRODUCT.md quality bars):
// < 80 KB gzipped JS+CSS and first paint < 1 s on a 4x-throttled phone CPU, so: no UI library,
// no icon font, Vue without the Options API, one JS and one CSS file.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/sidebar/',
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WeCom's in-app browsers: XWeb/Chromium on Android and WKWebView on iOS.
    target: ['es2020', 'chrome87', 'safari14'],
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 200,
  },
  logLevel: 'warn',
});
