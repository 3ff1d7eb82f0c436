import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { build, defineConfig, type Plugin } from 'vite';

// Built into sidebar/dist and served by Fencun at /sidebar/. Budget (PRODUCT.md quality bars):
// < 80 KB gzipped JS+CSS and first paint < 1 s on a 4x-throttled phone CPU, so: no UI library,
// no icon font, Vue without the Options API, one JS and one CSS file.
const root = fileURLToPath(new URL('.', import.meta.url));
const define = {
  __VUE_OPTIONS_API__: 'false',
  __VUE_PROD_DEVTOOLS__: 'false',
  __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
};

/**
 * The operators' console (src/console/index.html → <outDir>/console/, served at /admin/console/)
 * is the second page of this build, built as its own bundle right after the sidebar's: sharing
 * one Rollup graph would move Vue into a chunk both pages load, so the sidebar would no longer be
 * one JS file and would carry whatever Vue features the console uses. Budget: < 120 KB gzipped
 * JS+CSS, first render < 1.5 s at 4x CPU throttling (test/admin/console-page.test.ts).
 */
function consolePage(): Plugin {
  let outDir = '';
  return {
    name: 'fencun-console-page',
    apply: 'build',
    configResolved(c) {
      outDir = path.resolve(c.root, c.build.outDir);
    },
    async closeBundle() {
      await build({
        configFile: false,
        root: fileURLToPath(new URL('src/console/', import.meta.url)),
        base: '/admin/console/',
        plugins: [vue()],
        define,
        build: {
          outDir: path.join(outDir, 'console'),
          emptyOutDir: true,
          // Desktop browsers an operator uses; the same floor as the sidebar's.
          target: ['es2020', 'chrome87', 'safari14'],
          cssCodeSplit: false,
          modulePreload: { polyfill: false },
          reportCompressedSize: false,
        },
        logLevel: 'warn',
      });
    },
  };
}

export default defineConfig({
  root,
  base: '/sidebar/',
  plugins: [vue(), consolePage()],
  define,
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
